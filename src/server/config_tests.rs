//! Flags and environment, parsed as `natter` would parse them.

use super::*;

#[test]
fn defaults_match_clap_defaults() {
    let parsed = Config::try_parse_from(["natter"]).unwrap();
    assert_eq!(parsed, Config::default());
}

#[test]
fn flags() {
    let parsed = Config::try_parse_from([
        "natter",
        "--addr=0.0.0.0:8080",
        "--transports=websocket",
        "--allowed-origin=https://Chat.Example.com",
        "--allowed-origin=http://localhost:3000,http://[::1]:3000",
        "--ping-interval-ms=300",
        "--ping-timeout-ms=2000",
        "--max-payload=2048",
        "--data-dir=/var/lib/natter",
        "--database-url=postgres://natter:secret@db/natter",
    ])
    .unwrap();
    assert_eq!(parsed.addr, Some("0.0.0.0:8080".parse().unwrap()));
    assert_eq!(parsed.transports, Transports::WEBSOCKET_ONLY);
    assert_eq!(
        parsed.allowed_origins,
        [
            "https://chat.example.com",
            "http://localhost:3000",
            "http://[::1]:3000"
        ]
    );
    assert_eq!(parsed.ping_interval, Duration::from_millis(300));
    assert_eq!(parsed.ping_timeout, Duration::from_secs(2));
    assert_eq!(parsed.max_payload, 2048);
    assert_eq!(parsed.data_dir, PathBuf::from("/var/lib/natter"));
    let url = parsed.database_url.unwrap();
    assert_eq!(url.as_str(), "postgres://natter:secret@db/natter");
    assert!(!format!("{url:?}").contains("secret"));
}

#[test]
fn rejects_bad_values() {
    for bad in [
        "--transports=",
        "--transports=smoke-signals",
        "--allowed-origin=*",
        "--allowed-origin=chat.example.com",
        "--allowed-origin=https://chat.example.com/",
        "--allowed-origin=https://*.example.com",
        "--ping-interval-ms=0",
        "--ping-timeout-ms=2s",
        "--max-payload=10",
        "--database-url=sqlite://natter.db",
        "--database-url=mysql://db/natter",
    ] {
        assert!(
            Config::try_parse_from(["natter", bad]).is_err(),
            "{bad} was accepted"
        );
    }
}

#[test]
fn blank_origin_list_is_accepted() {
    let parsed = Config::try_parse_from(["natter", "--allowed-origin="]).unwrap();
    assert!(parsed.allowed_origins.iter().all(String::is_empty));
}

#[test]
fn transports_list() {
    assert_eq!(parse_transports("polling"), Ok(Transports::POLLING_ONLY));
    assert_eq!(
        parse_transports(" WebSocket , polling "),
        Ok(Transports::BOTH)
    );
}

#[test]
fn backup_takes_the_data_dir_before_or_after_it() {
    for args in [
        &["natter", "--data-dir=/srv/natter", "backup", "/tmp/copy.db"][..],
        &[
            "natter",
            "backup",
            "/tmp/copy.db",
            "--data-dir",
            "/srv/natter",
        ][..],
    ] {
        let parsed = Config::try_parse_from(args).unwrap();
        assert_eq!(
            parsed.command,
            Some(Command::Backup {
                path: PathBuf::from("/tmp/copy.db")
            })
        );
        assert_eq!(parsed.data_dir, PathBuf::from("/srv/natter"));
    }
    assert!(Config::try_parse_from(["natter", "backup"]).is_err());
}

#[test]
fn log_format() {
    let parsed = Config::try_parse_from(["natter", "--log-format=json"]).unwrap();
    assert_eq!(parsed.log_format, LogFormat::Json);
    assert!(Config::try_parse_from(["natter", "--log-format=xml"]).is_err());
}

#[test]
fn trusted_proxies_are_addresses_or_blocks() {
    let parsed =
        Config::try_parse_from(["natter", "--trusted-proxy=127.0.0.1, 10.0.0.0/8,::1"]).unwrap();
    let shown: Vec<String> = parsed
        .trusted_proxies
        .iter()
        .map(|net| net.to_string())
        .collect();
    assert_eq!(shown, ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]);
    assert!(Config::try_parse_from(["natter", "--trusted-proxy=proxy.local"]).is_err());
    assert!(Config::try_parse_from(["natter", "--handshake-burst=0"]).is_err());
}
