"""A replica's lag, as the monitor reckons it from the primary's WAL positions noted each second:
since when the primary has held something the replica has not replayed."""

from __future__ import annotations

from commentsvc.store.replicas import ReplicaMonitor

MAX_LAG = 5.0


def monitor_with(*noted: tuple[float, int]) -> ReplicaMonitor:
    monitor = ReplicaMonitor(None, [], MAX_LAG)  # type: ignore[arg-type]  # no I/O here
    for when, position in noted:
        monitor.note(when, position)
    return monitor


def test_an_idle_primary_makes_no_lag_however_long_since_its_last_change():
    monitor = monitor_with(*((float(t), 1000) for t in range(100)))
    assert monitor.lag(1000, now=100.0) == 0.0


def test_a_replica_is_as_far_behind_as_the_oldest_position_it_has_not_replayed():
    monitor = monitor_with((0.0, 100), (1.0, 200), (2.0, 300), (3.0, 300))
    assert monitor.lag(300, now=3.0) == 0.0
    assert monitor.lag(250, now=3.0) == 1.0  # it lacks what the primary had at 2.0
    assert monitor.lag(150, now=3.0) == 2.0
    assert monitor.lag(100, now=3.5) == 2.5


def test_a_replica_short_of_every_position_kept_is_beyond_the_bound():
    monitor = monitor_with(*((float(t), 100 * t) for t in range(20)))
    assert monitor.lag(0, now=19.0) > MAX_LAG
