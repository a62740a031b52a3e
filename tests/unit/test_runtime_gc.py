"""A bot process freezes what its start built (issue 14: full collections that walked it all paused
every request thread for 50-130 ms, twice a minute under `bench.load`)."""

import gc

from bot.runtime import BotRuntime


def test_the_start_and_the_tutors_index_are_frozen_once_the_index_is_open(tutor):
    runtime = BotRuntime(tutor.settings, clock=tutor.clock, start_scheduler=False).start()
    try:
        runtime.freeze_startup_objects().join(60)
        index = runtime.services.tutor._tutor
        assert index is not None, "the freeze waits for the index the start opens in the background"
        assert gc.get_freeze_count() > 10_000
        live = {id(o) for o in gc.get_objects()}  # the generations a collection walks; frozen ones are not
        assert id(index) not in live and id(runtime.app) not in live
    finally:
        gc.unfreeze()
        runtime.stop()
