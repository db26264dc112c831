//! Rate limits of the public flows (login, password reset), counted in the database so that every
//! server behind a load balancer shares them, and the client's IP address as the limits see it.
//!
//! The client address is the TCP peer, unless the peer is one of the proxies listed in
//! `AFFIANCA_TRUSTED_PROXIES`: then it is the right-most address of `X-Forwarded-For` that is not
//! itself a trusted proxy. A client talking to the server directly cannot choose its address.

use crate::entities::throttle_event;
use actix_web::HttpRequest;
use actix_web::web;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use std::net::IpAddr;

/// A failed password check, keyed by the client's IP.
pub const LOGIN_FAILURE_IP: &str = "login_failure_ip";
/// A call of `POST /auth/password-reset`, keyed by the client's IP.
pub const PASSWORD_RESET_IP: &str = "password_reset_ip";

/// Rows older than this are deleted (no limit looks further back).
const KEEP_HOURS: i64 = 24;

/// The proxies whose `X-Forwarded-For` is believed (`AFFIANCA_TRUSTED_PROXIES`): addresses or
/// networks (`10.0.0.0/8`, `::1`), comma-separated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// Parses `127.0.0.1, 10.0.0.0/8, ::1`; an empty string trusts nobody.
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut nets = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (addr, bits) = match part.split_once('/') {
                Some((a, b)) => (a, Some(b)),
                None => (part, None),
            };
            let ip: IpAddr = addr
                .parse()
                .map_err(|_| format!("{part:?} is not an IP address or network"))?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let bits = match bits {
                None => max,
                Some(b) => match b.parse::<u8>() {
                    Ok(n) if n <= max => n,
                    _ => return Err(format!("{part:?}: the prefix length must be 0 to {max}")),
                },
            };
            nets.push((ip, bits));
        }
        Ok(Self(nets))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `ip` is one of the trusted proxies.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0
            .iter()
            .any(|(net, bits)| match (canonical(*net), ip) {
                (IpAddr::V4(n), IpAddr::V4(a)) => prefix_eq(&n.octets(), &a.octets(), *bits),
                (IpAddr::V6(n), IpAddr::V6(a)) => prefix_eq(&n.octets(), &a.octets(), *bits),
                _ => false,
            })
    }

    /// The client's address: the peer, or what trusted proxies say it is.
    pub fn client_ip(&self, peer: Option<IpAddr>, forwarded_for: &[&str]) -> Option<IpAddr> {
        let peer = canonical(peer?);
        if !self.contains(peer) {
            return Some(peer);
        }
        let hops: Vec<&str> = forwarded_for
            .iter()
            .flat_map(|h| h.split(','))
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            match hop.parse::<IpAddr>() {
                Ok(ip) => {
                    client = canonical(ip);
                    if !self.contains(client) {
                        break;
                    }
                }
                // Garbage from the client side of the chain: the last trusted hop is the client.
                Err(_) => break,
            }
        }
        Some(client)
    }
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn prefix_eq(a: &[u8], b: &[u8], bits: u8) -> bool {
    let full = usize::from(bits / 8);
    let rest = bits % 8;
    if a[..full] != b[..full] {
        return false;
    }
    rest == 0 || {
        let mask = 0xffu8 << (8 - rest);
        a[full] & mask == b[full] & mask
    }
}

/// The client's IP address of a request, as text (`unknown` without a peer address).
pub fn client_ip(req: &HttpRequest) -> Option<String> {
    let trusted = req.app_data::<web::Data<TrustedProxies>>();
    let peer = req.peer_addr().map(|a| a.ip());
    let ip = match trusted {
        Some(t) if !t.is_empty() => {
            let forwarded: Vec<&str> = req
                .headers()
                .get_all("x-forwarded-for")
                .filter_map(|v| v.to_str().ok())
                .collect();
            t.client_ip(peer, &forwarded)
        }
        _ => peer.map(canonical),
    };
    ip.map(|i| i.to_string())
}

/// How many events of `kind` for `key` happened since `since`.
pub async fn count_since(
    db: &impl ConnectionTrait,
    kind: &str,
    key: &str,
    since: DateTime<Utc>,
) -> Result<u64, sea_orm::DbErr> {
    throttle_event::Entity::find()
        .filter(throttle_event::Column::Kind.eq(kind))
        .filter(throttle_event::Column::Key.eq(key))
        .filter(throttle_event::Column::At.gt(since))
        .count(db)
        .await
}

/// When the latest (`newest`) or earliest event of `kind` for `key` since `since` happened.
pub async fn edge_since(
    db: &impl ConnectionTrait,
    kind: &str,
    key: &str,
    since: DateTime<Utc>,
    newest: bool,
) -> Result<Option<DateTime<Utc>>, sea_orm::DbErr> {
    let q = throttle_event::Entity::find()
        .filter(throttle_event::Column::Kind.eq(kind))
        .filter(throttle_event::Column::Key.eq(key))
        .filter(throttle_event::Column::At.gt(since));
    let q = if newest {
        q.order_by_desc(throttle_event::Column::At)
    } else {
        q.order_by_asc(throttle_event::Column::At)
    };
    Ok(q.one(db).await?.map(|e| e.at))
}

/// Counts one event; sweeps the rows no limit looks at any more.
pub async fn record(
    db: &impl ConnectionTrait,
    kind: &str,
    key: &str,
) -> Result<(), sea_orm::DbErr> {
    let now = Utc::now();
    throttle_event::Entity::delete_many()
        .filter(throttle_event::Column::At.lt(now - Duration::hours(KEEP_HOURS)))
        .exec(db)
        .await?;
    throttle_event::Entity::insert(throttle_event::ActiveModel {
        kind: Set(kind.to_owned()),
        key: Set(key.chars().take(254).collect()),
        at: Set(now),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn trusted_proxies_parse_addresses_and_networks() {
        let t = TrustedProxies::parse(" 127.0.0.1, 10.0.0.0/8 ,::1").unwrap();
        assert!(t.contains(ip("127.0.0.1")));
        assert!(t.contains(ip("10.20.30.40")));
        assert!(!t.contains(ip("11.0.0.1")));
        assert!(t.contains(ip("::1")));
        assert!(t.contains(ip("::ffff:10.1.2.3")));
        assert!(TrustedProxies::parse("").unwrap().is_empty());
        assert!(TrustedProxies::parse("localhost").is_err());
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        let t = TrustedProxies::parse("192.168.1.0/23").unwrap();
        assert!(t.contains(ip("192.168.0.7")));
        assert!(!t.contains(ip("192.168.2.7")));
    }

    #[test]
    fn forwarded_for_is_believed_only_from_a_trusted_peer() {
        let t = TrustedProxies::parse("10.0.0.0/8").unwrap();
        // A direct client cannot choose its address.
        assert_eq!(
            t.client_ip(Some(ip("203.0.113.9")), &["198.51.100.1"]),
            Some(ip("203.0.113.9"))
        );
        // Through the proxy: the right-most address that is not a proxy.
        assert_eq!(
            t.client_ip(Some(ip("10.0.0.2")), &["1.2.3.4, 198.51.100.1", "10.0.0.5"]),
            Some(ip("198.51.100.1"))
        );
        // Without the header, the proxy itself.
        assert_eq!(t.client_ip(Some(ip("10.0.0.2")), &[]), Some(ip("10.0.0.2")));
        // Nobody trusted: always the peer.
        assert_eq!(
            TrustedProxies::default().client_ip(Some(ip("10.0.0.2")), &["1.2.3.4"]),
            Some(ip("10.0.0.2"))
        );
    }
}
