"""The bounded hand-off between the network thread and the writer."""

from __future__ import annotations

import threading

from app.ingest.inbox import Inbox


def test_offer_refuses_beyond_the_bound_and_take_frees_room() -> None:
    inbox: Inbox[int] = Inbox(3)
    assert [inbox.offer(i) for i in range(4)] == [True, True, True, False]
    assert inbox.qsize() == 3
    assert inbox.take(2, 0.0, 0.0) == [0, 1]
    assert inbox.offer(9) and inbox.take(10, 0.0, 0.0) == [2, 9]
    assert inbox.empty()


def test_take_waits_for_the_first_item_then_for_the_window() -> None:
    inbox: Inbox[int] = Inbox(100)
    assert inbox.take(10, 0.05, 0.0) == []
    got: list[int] = []
    taker = threading.Thread(target=lambda: got.extend(inbox.take(3, 5.0, 5.0)))
    taker.start()
    for i in range(3):
        assert inbox.offer(i)
    taker.join(5)
    assert got == [0, 1, 2], "a full batch returns without waiting out the window"


def test_put_waits_for_room_made_by_the_writer() -> None:
    inbox: Inbox[int] = Inbox(1)
    assert inbox.offer(1)
    assert inbox.put(2, timeout=0.05) is False
    drained = threading.Event()

    def writer() -> None:
        assert inbox.take(1, 1.0, 0.0) == [1]
        drained.set()

    threading.Thread(target=writer).start()
    assert inbox.put(2, timeout=5.0) is True
    assert drained.wait(5) and inbox.take(1, 0.0, 0.0) == [2]
