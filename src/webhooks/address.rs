//! Which addresses a webhook may reach: public ones only, so that a meeting's organizer cannot
//! make the server call into its own network (the database, a cloud's metadata service).

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

/// Whether an address is on the public internet: not loopback, private, link-local, shared
/// (carrier-grade NAT), unspecified, broadcast, documentation or multicast.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || a == 0
                || a >= 240
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (18..20).contains(&b))
                || (a == 192 && b == 0))
        }
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => is_public(IpAddr::V4(v4)),
            None => {
                let first = v6.segments()[0];
                !(v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_multicast()
                    || v6.is_unique_local()
                    || v6.is_unicast_link_local()
                    // site-local (deprecated), Teredo, documentation
                    || (first & 0xffc0) == 0xfec0
                    || (first == 0x2001 && v6.segments()[1] == 0)
                    || (first == 0x2001 && v6.segments()[1] == 0x0db8))
            }
        },
    }
}

/// The IPv4 address an IPv6 one carries, where it reaches IPv4: mapped (`::ffff:a.b.c.d`),
/// compatible (`::a.b.c.d`), NAT64 (`64:ff9b::/96`, `64:ff9b:1::/48`) and 6to4 (`2002::/16`).
fn embedded_v4(v6: std::net::Ipv6Addr) -> Option<std::net::Ipv4Addr> {
    let s = v6.segments();
    let last = |hi: u16, lo: u16| {
        let [a, b] = hi.to_be_bytes();
        let [c, d] = lo.to_be_bytes();
        std::net::Ipv4Addr::new(a, b, c, d)
    };
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    match s {
        [0, 0, 0, 0, 0, 0, hi, lo] if (hi, lo) != (0, 0) && (hi, lo) != (0, 1) => {
            Some(last(hi, lo))
        }
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => Some(last(hi, lo)),
        [0x64, 0xff9b, 1, ..] => Some(last(s[6], s[7])),
        [0x2002, hi, lo, ..] => Some(last(hi, lo)),
        _ => None,
    }
}

/// The addresses a webhook's URL resolves to, each public; an error saying why not otherwise.
/// A blocking lookup.
pub fn reachable(url: &url::Url) -> Result<Vec<SocketAddr>, &'static str> {
    let host = url.host_str().ok_or("the address has no host")?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = url.port_or_known_default().unwrap_or(443);
    let addresses: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|_| "the host's name does not resolve")?
        .collect();
    allowed(addresses)
}

/// The addresses, when every one of them is public.
pub fn allowed(addresses: Vec<SocketAddr>) -> Result<Vec<SocketAddr>, &'static str> {
    if addresses.is_empty() {
        return Err("the host's name does not resolve");
    }
    if addresses.iter().any(|a| !is_public(a.ip())) {
        return Err("the address resolves to a loopback, private or link-local address");
    }
    Ok(addresses)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_reached() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.9",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "::127.0.0.1",
            "198.18.0.1",
            "240.0.0.1",
            "fec0::1",
            "2001::1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in [
            "93.184.216.34",
            "2606:2800:220:1:248:1893:25c8:1946",
            "8.8.8.8",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
        let loopback = url::Url::parse("http://127.0.0.1:9/hook").unwrap();
        assert!(reachable(&loopback).is_err());
        let named = url::Url::parse("http://localhost:9/hook").unwrap();
        assert!(
            reachable(&named).is_err(),
            "a name is resolved, then checked"
        );
    }
}
