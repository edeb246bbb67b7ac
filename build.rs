// A new migration folder is only embedded when the crate rebuilds.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
