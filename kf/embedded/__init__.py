"""The embedded default: a nats-server from the wheel on loopback, for `kf up` and the tests."""
