#[test]
fn sizes() {
    assert_eq!(super::parse_size("830MB"), Ok(830_000_000));
}
