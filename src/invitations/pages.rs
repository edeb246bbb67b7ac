//! The invitation page.
