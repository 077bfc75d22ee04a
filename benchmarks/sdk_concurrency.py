"""How fast the official SDK makes GetUser calls against the emulator: one after another, on threads, async.

    python benchmarks/sdk_concurrency.py [--calls 1000] [--threads 8]

Prints, per way of running the calls, the wall time and the CPU time of the client (this process and, in the forked
case, its children) and of the emulator process per call. With no added latency this shows whether concurrency can beat sequential calls when
the client's own work is the bottleneck (benchmarks/README.md, "Reading the results"). A measurement, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from tests.support.emulator import Emulator  # noqa: E402  pylint: disable=wrong-import-position

for _proxy in ('HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'ALL_PROXY', 'all_proxy'):
    os.environ.pop(_proxy, None)


def process_cpu_seconds(pid):
    fields = Path('/proc/%d/stat' % pid).read_text().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def client_cpu_seconds():
    """CPU of this process and of its waited-for children (the forked case)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--calls', type=int, default=1000)
    parser.add_argument('--threads', type=int, default=8, help='threads, and concurrent async calls (default 8)')
    args = parser.parse_args()

    from alibabacloud_ram20150501 import models  # pylint: disable=import-outside-toplevel

    with tempfile.TemporaryDirectory(prefix='aliyun-ram-sdk-bench-') as work, Emulator(state_dir=work) as emu:
        client = emu.ram_client('admin')

        def one_call(dummy=None):
            client.get_user(models.GetUserRequest(user_name='ram-admin'))

        def sequential():
            for dummy in range(args.calls):
                one_call()

        def threads():
            with ThreadPoolExecutor(args.threads) as pool:
                list(pool.map(one_call, range(args.calls)))

        async def async_calls():
            gate = asyncio.Semaphore(args.threads)

            async def one():
                async with gate:
                    await client.get_user_async(models.GetUserRequest(user_name='ram-admin'))
            await asyncio.gather(*[one() for dummy in range(args.calls)])

        def forked():
            # What spreading the calls over processes would give. Each child must drop the pooled connections it
            # inherited (darabonba keeps one process-wide session per endpoint): sharing them would cross the
            # replies of two processes on one socket.
            children = []
            for index in range(2):
                pid = os.fork()
                if pid == 0:
                    code = 0
                    try:
                        from darabonba.core import DaraCore  # pylint: disable=import-outside-toplevel
                        DaraCore._sessions.clear()  # pylint: disable=protected-access
                        for dummy in range(index, args.calls, 2):
                            one_call()
                    except Exception:  # pylint: disable=broad-exception-caught
                        code = 1
                    os._exit(code)  # pylint: disable=protected-access
                children.append(pid)
            for pid in children:
                dummy, status = os.waitpid(pid, 0)
                if os.waitstatus_to_exitcode(status) != 0:
                    raise SystemExit('a forked child failed')

        sequential()   # warm up: connection pool, signer, emulator caches
        print('| how %d GetUser calls run | wall ms/call | client CPU ms/call | emulator CPU ms/call |' % args.calls)
        print('|---|---|---|---|')
        for label, run in (('one after another', sequential), ('%d threads' % args.threads, threads),
                           ('SDK async API, %d at a time' % args.threads, lambda: asyncio.run(async_calls())),
                           ('2 processes forked after the import, one call after another in each', forked)):
            wall, cpu, emu_cpu = time.perf_counter(), client_cpu_seconds(), process_cpu_seconds(emu.process.pid)
            run()
            per_call = [(time.perf_counter() - wall), (client_cpu_seconds() - cpu),
                        (process_cpu_seconds(emu.process.pid) - emu_cpu)]
            print('| %s | %s |' % (label, ' | '.join('%.2f' % (1000 * value / args.calls) for value in per_call)))
        counters = emu.counters()
        print('\nGetUser calls counted by the emulator (a warm-up round, then the four above): %d'
              % counters['actions']['GetUser']['calls'])
    return 0


if __name__ == '__main__':
    sys.exit(main())
