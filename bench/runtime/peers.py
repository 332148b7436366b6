"""The Python figures runtime_bench compares with: asgiref's adapters and asyncio tasks.

Run by Debian's /usr/bin/python3 with python3-asgiref installed
(DUET_WITH_PEERS=1 scripts/install-deps.sh). Prints `name: value unit` like the C++ side.
"""
import argparse
import asyncio
import statistics
import sys
import time


def rss_bytes():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def measure_asgiref():
    try:
        from asgiref.sync import async_to_sync, sync_to_async
    except ImportError:
        print("asgiref: not installed (apt-get install python3-asgiref)")
        return

    def noop():
        return None

    async def round_trips():
        samples = []
        for i in range(3000):
            start = time.perf_counter()
            await sync_to_async(noop)()
            if i >= 200:
                samples.append((time.perf_counter() - start) * 1e6)
        return statistics.median(samples)

    async def nothing():
        return None

    print("asgiref sync_to_async round trip (median): %.3f us" % asyncio.run(round_trips()))
    samples = []
    for i in range(1000):
        start = time.perf_counter()
        async_to_sync(nothing)()
        if i >= 100:
            samples.append((time.perf_counter() - start) * 1e6)
    print("asgiref async_to_sync from a plain thread (median): %.3f us" % statistics.median(samples))


def measure_asyncio_tasks(count):
    async def sleeper(started):
        started[0] += 1
        await asyncio.sleep(2)

    async def main():
        started = [0]
        before = rss_bytes()
        start = time.perf_counter()
        tasks = [asyncio.ensure_future(sleeper(started)) for _ in range(count)]
        while started[0] < count:
            await asyncio.sleep(0.01)
        suspended = rss_bytes()
        await asyncio.gather(*tasks)
        print("asyncio suspended task memory: %.3f bytes/task" % ((suspended - before) / count))
        print("asyncio tasks total time: %.3f s" % (time.perf_counter() - start))

    asyncio.run(main())


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=1_000_000)
    args = parser.parse_args()
    measure_asgiref()
    measure_asyncio_tasks(args.tasks)
    sys.stdout.flush()
