"""Run the benchmarks: each read operation against the hand-written baseline and the GraphQL
API, with compiled reads and executing field by field, on the same data, in one run; then
the purchases written by concurrent tills, `purchaseRecord` against a hand-written
transaction; then a partner's counter, `grantValidate` and `grantRedeem` with the partner's
API key against hand-written ones; then a store manager's `pipelineBoard` against a
hand-written board, and the time of `pipelineAnalytics`, on a hundred thousand deals
(DESIGN.md §7, docs/performance.md).

    .venv/bin/python bench/run.py [--customers 100000] [--interactions 5] [--concurrency 8]
                                  [--duration 10] [--warmup 2] [--operations a,b,c,d]
                                  [--targets baseline,compiled,executed]
                                  [--scenarios reads,purchases,redemptions,pipeline]
                                  [--members 1000] [--grants 60000] [--deals 100000]
"""

import argparse
import contextlib
import itertools
import os
import platform
import random
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
import uvloop

if __package__ in (None, ""):  # run as a script: make `bench` importable from the repo root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import pipeline, purchases, redemptions, statements
from bench.answers import find_mismatches
from bench.database import Scale, bench_database, load_dataset, server_version
from bench.load import HEADERS, Figures, Sample, measure, measure_stream, with_key
from bench.operations import Dataset, Goal, Operation, select_operations
from bench.purchases import CountedStream, Members
from bench.redemptions import Counter
from bench.report import (
    BASELINE,
    COMPILED,
    EXECUTED,
    TARGETS,
    OperationResult,
    goals_legend,
    table,
    write_json,
)
from bench.servers import (
    BASELINE_FACTORY,
    RAPPORT_FACTORY,
    Server,
    ServerSpec,
    running_server,
)

RESULTS_DIR = Path(__file__).resolve().parent / "results"
SCENARIOS = ("reads", "purchases", "redemptions", "pipeline")
DISTINCT_REQUESTS = 20_000  # cycled; enough that ids rarely repeat within a measurement
CHECKED_REQUESTS = 20  # the distinct ones among the first; enough to meet each kind of answer
COUNTED_REQUESTS = 5


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--customers", type=int, default=100_000, help="seeded customers (default 100000)")
    add("--interactions", type=int, default=5, help="interactions per customer (default 5)")
    add("--concurrency", type=int, default=8, help="connections, each back to back (8)")
    add("--duration", type=float, default=10.0, help="measured seconds per target and round")
    add("--warmup", type=float, default=2.0, help="unrecorded seconds before each measurement")
    add("--rounds", type=int, default=2,
        help="rounds per operation; targets alternate order each round to cancel drift (2)")
    add("--operations", default="a,b,c,d", help="operation keys or names, comma-separated")
    add("--targets", default=",".join(TARGETS), type=select_targets,
        help="servers to measure, comma-separated, baseline among them (default: all of "
        f"{', '.join(TARGETS)})")
    add("--database-url", help="bench this database (default: scratch database "
        "rapport_bench on postgresql://postgres@127.0.0.1:5432, else an embedded server)")
    add("--seed", type=int, default=20261123, help="seed of the request sequence")
    add("--graphql-factory", default=RAPPORT_FACTORY,
        help="uvicorn factory of the compiled and executed targets; bench.baseline:create_app "
        "checks the machinery against itself")
    add("--ignore-mismatch", action="store_true",
        help="measure operations even when a server answers differently from the baseline")
    add("--no-statements", dest="count_statements", action="store_false",
        help="skip counting SQL statements per request")
    add("--scenarios", default=",".join(SCENARIOS), type=select_scenarios,
        help=f"what to run, comma-separated: {', '.join(SCENARIOS)} (default: all)")
    add("--members", type=int, default=1000,
        help="members the purchases are recorded for, and the grants issued to, each in a "
        "fresh database (default 1000)")
    add("--grants", type=int, default=60_000,
        help="redeemable grants per target; each redemption takes one (default 60000)")
    add("--deals", type=int, default=100_000,
        help="deals of the pipeline scenario's history, in a database of its own, kept for "
        "the next run (default 100000)")
    return parser.parse_args(argv)


def select_scenarios(text: str) -> tuple[str, ...]:
    wanted = {name.strip() for name in text.split(",") if name.strip()}
    if unknown := wanted - set(SCENARIOS):
        raise argparse.ArgumentTypeError(f"unknown scenarios {sorted(unknown)}; known: "
                                         f"{SCENARIOS}")
    return tuple(scenario for scenario in SCENARIOS if scenario in wanted)


def select_targets(text: str) -> tuple[str, ...]:
    """`"executed,baseline"` → those targets in the table's order; the baseline is needed,
    as every ratio divides by it."""
    wanted = {name.strip() for name in text.split(",") if name.strip()}
    if unknown := wanted - set(TARGETS):
        raise argparse.ArgumentTypeError(f"unknown targets {sorted(unknown)}; known: {TARGETS}")
    if BASELINE not in wanted:
        raise argparse.ArgumentTypeError("the baseline is needed: ratios divide by it")
    return tuple(target for target in TARGETS if target in wanted)


def server_specs(args: argparse.Namespace) -> dict[str, ServerSpec]:
    """The selected targets. Compiled reads are set either way, so a RAPPORT_COMPILED_READS
    in the caller's environment cannot turn one target into the other."""
    specs = {
        BASELINE: ServerSpec(BASELINE_FACTORY),
        COMPILED: ServerSpec(args.graphql_factory, {"RAPPORT_COMPILED_READS": "true"}),
        EXECUTED: ServerSpec(args.graphql_factory, {"RAPPORT_COMPILED_READS": "false"}),
    }
    return {target: specs[target] for target in args.targets}


def request_bodies(operation: Operation, dataset: Dataset, seed: int) -> list[bytes]:
    """The request sequence every target gets: the same seed gives the same sequence."""
    rng = random.Random(f"{seed}:{operation.name}")
    return [
        orjson.dumps({"query": operation.document, "variables": operation.variables(dataset, rng)})
        for _ in range(DISTINCT_REQUESTS)
    ]


def round_order(targets: tuple[str, ...], round_index: int) -> tuple[str, ...]:
    # baseline, compiled, executed, then executed, compiled, baseline: slow drift (caches,
    # thermal, neighbours) then weighs on every target alike.
    return targets if round_index % 2 == 0 else targets[::-1]


def print_progress(round_index: int, target: str, figures: Figures) -> None:
    print(f"  round {round_index + 1} {target:8} {figures.requests_per_s:8,.0f} req/s"
          f"  p50 {figures.p50_ms:7.2f} ms  p99 {figures.p99_ms:7.2f} ms"
          f"  (load generator: {figures.client_cpu_percent:.0f}% of a core)", flush=True)


async def run_rounds(
    servers: dict[str, Server], bodies: list[bytes], args: argparse.Namespace,
    headers: dict[str, str] = HEADERS,
) -> tuple[dict[str, Sample], list[dict[str, Figures]]]:
    targets = tuple(target for target in args.targets if target in servers)
    totals = {target: Sample() for target in targets}
    rounds = []
    for round_index in range(args.rounds):
        figures = {}
        for target in round_order(targets, round_index):
            sample = await measure(servers[target].graphql_url, bodies,
                                   concurrency=args.concurrency, warmup_s=args.warmup,
                                   duration_s=args.duration, headers=headers)
            figures[target] = Figures.of(sample)
            totals[target].add(sample)
            print_progress(round_index, target, figures[target])
        rounds.append(figures)
    return totals, rounds


def report_errors(name: str, totals: dict[str, Sample], servers: dict[str, Server]) -> None:
    for target, sample in totals.items():
        if sample.errors:
            print(f"  !! {name}/{target}: {sample.errors} of {sample.requests} requests failed; "
                  f"first: {sample.first_error}\n     server log: {servers[target].log}")


async def bench_operation(
    operation: Operation, dataset: Dataset, servers: dict[str, Server],
    args: argparse.Namespace,
) -> OperationResult:
    print(f"{operation.key}) {operation.name}", flush=True)
    bodies = request_bodies(operation, dataset, args.seed)
    others = {target: server.graphql_url for target, server in servers.items()
              if target != BASELINE}
    mismatches = await find_mismatches(servers[BASELINE].graphql_url, others,
                                       list(dict.fromkeys(bodies[:CHECKED_REQUESTS])))
    result = OperationResult(operation.name, operation.goal, mismatches)
    for target, differences in mismatches.items():
        for mismatch in differences:
            print(f"  ANSWERS DIFFER ({target})\n{mismatch}\n")
    if not result.answers_equal and not args.ignore_mismatch:
        print("  not measured: a server answers differently from the baseline "
              "(--ignore-mismatch measures)")
        return result
    totals, result.rounds = await run_rounds(servers, bodies, args)
    report_errors(operation.name, totals, servers)
    result.figures = {target: Figures.of(sample) for target, sample in totals.items()}
    return result


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "processor": cpu_model(), "platform": platform.platform(),
            "python": platform.python_version(), "load_average_1m": os.getloadavg()[0]}


def warn_if_busy(context: dict[str, Any]) -> None:
    """Ratios cancel steady load, not bursts of other work on the same cores."""
    load, cpus = context["machine"]["load_average_1m"], context["machine"]["cpus"]
    if load > 0.5 * (cpus or 1):
        print(f"!! the machine is busy before the run (load average {load:.1f} on {cpus} "
              "CPUs): expect noisy figures", flush=True)


def run_context(args: argparse.Namespace, url: str, postgres: str) -> dict[str, Any]:
    parts = urlsplit(url)
    return {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {**machine(), "postgres": postgres},
        "database": f"{parts.hostname or parts.query}{parts.path}",
        "arguments": {k: v for k, v in vars(args).items() if k != "database_url"},
    }


async def count_statements(
    operations: list[Operation], dataset: Dataset, url: str, args: argparse.Namespace,
    log_dir: Path, results: list[OperationResult],
) -> None:
    """A short extra pass with each server behind a counting proxy, so the measured servers
    never pay for it."""
    for target, spec in server_specs(args).items():
        async with statements.counting_proxy(url) as proxy, running_server(
                f"{target}-counted", spec, proxy.url, log_dir) as server:
            for operation, result in zip(operations, results, strict=True):
                bodies = request_bodies(operation, dataset, args.seed)[:COUNTED_REQUESTS]
                result.statements_per_request[target] = await statements.per_request(
                    proxy, server.graphql_url, bodies)


def print_summary(results: list[OperationResult], path: Path) -> None:
    print(f"\n{table(results)}\n\nratio = target / baseline; compiled = Rapport as deployed "
          "(compiled reads on), executed = RAPPORT_COMPILED_READS=false; sql/req = statements "
          f"sent to PostgreSQL per request (transaction control included)\n"
          f"{goals_legend(results)}\nresults: {path}")


@contextlib.asynccontextmanager
async def running_servers(
    args: argparse.Namespace, url: str, log_dir: Path
) -> AsyncIterator[dict[str, Server]]:
    """Every selected target up at once (idle while another is measured)."""
    async with contextlib.AsyncExitStack() as stack:
        yield {target: await stack.enter_async_context(running_server(target, spec, url, log_dir))
               for target, spec in server_specs(args).items()}


async def bench_reads(
    args: argparse.Namespace, log_dir: Path
) -> tuple[dict[str, Any], list[OperationResult]]:
    operations = select_operations(args.operations)
    scale = Scale(args.customers, args.interactions)
    async with bench_database(args.database_url, scale) as url:
        dataset = await load_dataset(url)
        context = run_context(args, url, await server_version(url))
        print(f"{len(dataset.customer_ids):,} customers "
              f"({len(dataset.customers_with_open_cases):,} with open cases); "
              f"{args.concurrency} connections; {context['machine']['cpus']} CPUs shared by "
              "the load generator, the servers and PostgreSQL, so only the ratios mean "
              "anything", flush=True)
        warn_if_busy(context)
        async with running_servers(args, url, log_dir) as servers:
            results = [await bench_operation(op, dataset, servers, args) for op in operations]
        if args.count_statements:
            await count_statements(operations, dataset, url, args, log_dir, results)
    return context, results


# --- the purchases (writes) ----------------------------------------------------------------

def write_specs(args: argparse.Namespace) -> dict[str, ServerSpec]:
    """The baseline and Rapport as deployed: a mutation executes field by field whether
    compiled reads are on or not, so the executed target would measure the same thing."""
    return {BASELINE: ServerSpec(BASELINE_FACTORY),
            COMPILED: ServerSpec(args.graphql_factory, {"RAPPORT_COMPILED_READS": "true"})}


async def bench_purchases(
    args: argparse.Namespace, log_dir: Path
) -> tuple[dict[str, Any], OperationResult]:
    print(f"p) {purchases.NAME}", flush=True)
    async with purchases.purchases_database(args.database_url, args.members) as url:
        context = run_context(args, url, await server_version(url))
        members = await purchases.load_members(url)
        print(f"  {len(members.ids):,} members; {args.concurrency} clients recording new "
              "orders back to back", flush=True)
        warn_if_busy(context)
        specs = write_specs(args)
        streams = {target: CountedStream(purchases.purchase_requests(
            members, target, args.seed, purchases.order_time())) for target in specs}
        result = OperationResult(purchases.NAME, purchases.GOAL)
        async with contextlib.AsyncExitStack() as stack:
            servers = {target: await stack.enter_async_context(
                running_server(f"{target}-purchases", spec, url, log_dir))
                for target, spec in specs.items()}
            await probe_purchases(servers, streams, result)
            if result.answers_equal:
                totals, result.rounds = await run_write_rounds(servers, streams, args)
                report_errors(result.name, totals, servers)
                result.figures = {t: Figures.of(sample) for t, sample in totals.items()}
        await check_recorded(url, streams)
        if args.count_statements and result.answers_equal:
            await count_write_statements(url, specs, members, args, log_dir, result)
    return context, result


async def probe_purchases(servers: dict[str, Server], streams: dict[str, CountedStream],
                          result: OperationResult) -> None:
    """One order each before measuring: both must record it (the answers can't be equal:
    their ids differ)."""
    for target, server in servers.items():
        refused = await purchases.probe(server.graphql_url, next(streams[target]))
        if refused:
            result.mismatches[target] = [f"the probe order was refused: {refused}"]
            print(f"  NOT RECORDED ({target}): {refused}\n  server log: {server.log}")


async def run_write_rounds(
    servers: dict[str, Server], streams: dict[str, CountedStream], args: argparse.Namespace,
    headers: dict[str, str] = HEADERS,
) -> tuple[dict[str, Sample], list[dict[str, Figures]]]:
    """As `run_rounds`, each target taking new orders from its own stream."""
    totals = {target: Sample() for target in servers}
    rounds = []
    for round_index in range(args.rounds):
        figures = {}
        for target in round_order(tuple(servers), round_index):
            sample = await measure_stream(servers[target].graphql_url, streams[target],
                                          concurrency=args.concurrency, warmup_s=args.warmup,
                                          duration_s=args.duration, headers=headers)
            figures[target] = Figures.of(sample)
            totals[target].add(sample)
            print_progress(round_index, target, figures[target])
        rounds.append(figures)
    return totals, rounds


async def check_recorded(url: str, streams: dict[str, CountedStream]) -> None:
    """Every order sent was recorded, and the ledger adds up (`rapport loyalty check`)."""
    for target, stream in streams.items():
        recorded = await purchases.recorded_by(url, target)
        verdict = "" if recorded.purchases == stream.taken else "  !! orders went missing"
        print(f"  {target}: {recorded.purchases:,} of {stream.taken:,} orders sent recorded, "
              f"{recorded.points:,} points earned{verdict}", flush=True)
    mismatches = await purchases.ledger_mismatches(url)
    print(f"  ledger check: {mismatches} mismatches"
          + ("" if not mismatches else "  !! a balance disagrees with its ledger"), flush=True)


async def count_write_statements(
    url: str, specs: dict[str, ServerSpec], members: Members, args: argparse.Namespace,
    log_dir: Path, result: OperationResult,
) -> None:
    for target, spec in specs.items():
        orders = list(itertools.islice(purchases.purchase_requests(
            members, f"{target}-counted", args.seed, purchases.order_time()),
            2 * COUNTED_REQUESTS))
        async with statements.counting_proxy(url) as proxy, running_server(
                f"{target}-purchases-counted", spec, proxy.url, log_dir) as server:
            result.statements_per_request[target] = await statements.per_request(
                proxy, server.graphql_url, orders[COUNTED_REQUESTS:],
                warm_up_with=orders[:COUNTED_REQUESTS])


# --- the partner's counter: validations and redemptions ----------------------------------

def counted_stream(stream: str) -> str:
    return f"{stream}-counted"


async def bench_redemptions(
    args: argparse.Namespace, log_dir: Path
) -> tuple[dict[str, Any], list[OperationResult]]:
    specs = write_specs(args)
    grants = {**{target: args.grants for target in specs},
              **{counted_stream(target): 2 * COUNTED_REQUESTS for target in specs}}
    async with redemptions.redemptions_database(
            args.database_url, args.members, grants) as (url, counter):
        context = run_context(args, url, await server_version(url))
        print(f"  {args.members:,} members, {args.grants:,} grants to redeem per target; "
              f"{args.concurrency} counters with the cinema's key", flush=True)
        warn_if_busy(context)
        headers = with_key(counter.key)
        async with contextlib.AsyncExitStack() as stack:
            servers = {target: await stack.enter_async_context(
                running_server(f"{target}-partners", spec, url, log_dir))
                for target, spec in specs.items()}
            validated = await bench_validations(servers, counter, headers, args)
            redeeming = {target: CountedStream(redemptions.redeem_requests(counter, target))
                         for target in specs}
            redeemed = await bench_redeem(servers, redeeming, headers, args)
        await check_redeemed(url, redeeming)
        if args.count_statements:
            await count_counter_statements(url, specs, counter, args, log_dir,
                                           validated, redeemed)
    return context, [validated, redeemed]


async def bench_validations(servers: dict[str, Server], counter: Counter,
                            headers: dict[str, str], args: argparse.Namespace
                            ) -> OperationResult:
    print(f"v) {redemptions.VALIDATE}", flush=True)
    bodies = redemptions.validate_requests(counter, args.seed, DISTINCT_REQUESTS)
    return await bench_requests(redemptions.VALIDATE, redemptions.VALIDATE_GOAL, bodies,
                                servers, args, headers)


async def bench_requests(name: str, goal: Goal, bodies: list[bytes],
                         servers: dict[str, Server], args: argparse.Namespace,
                         headers: dict[str, str] = HEADERS) -> OperationResult:
    """A read's answers compared with the baseline's, then measured in rounds."""
    others = {target: server.graphql_url for target, server in servers.items()
              if target != BASELINE}
    result = OperationResult(name, goal, await find_mismatches(
        servers[BASELINE].graphql_url, others, list(dict.fromkeys(bodies[:CHECKED_REQUESTS])),
        headers))
    for target, differences in result.mismatches.items():
        for mismatch in differences:
            print(f"  ANSWERS DIFFER ({target})\n{mismatch}\n")
    if not result.answers_equal and not args.ignore_mismatch:
        print("  not measured: a server answers differently from the baseline")
        return result
    totals, result.rounds = await run_rounds(servers, bodies, args, headers)
    report_errors(result.name, totals, servers)
    result.figures = {target: Figures.of(sample) for target, sample in totals.items()}
    return result


async def bench_redeem(servers: dict[str, Server], streams: dict[str, CountedStream],
                       headers: dict[str, str], args: argparse.Namespace) -> OperationResult:
    """As the purchases: a probe each (both must redeem it), then the rounds."""
    print(f"r) {redemptions.REDEEM}", flush=True)
    result = OperationResult(redemptions.REDEEM, redemptions.REDEEM_GOAL)
    for target, server in servers.items():
        refused = await redemptions.probe(server.graphql_url, next(streams[target]), headers)
        if refused:
            result.mismatches[target] = [f"the probe redemption was refused: {refused}"]
            print(f"  NOT REDEEMED ({target}): {refused}\n  server log: {server.log}")
    if result.answers_equal:
        totals, result.rounds = await run_write_rounds(servers, streams, args, headers)
        report_errors(result.name, totals, servers)
        result.figures = {t: Figures.of(sample) for t, sample in totals.items()}
    return result


async def check_redeemed(url: str, streams: dict[str, CountedStream]) -> None:
    """Every redemption sent redeemed its grant once, with its settlement entry."""
    for target, stream in streams.items():
        done = await redemptions.redeemed_by(url, target)
        whole = done.redemptions == done.grants == done.entries == stream.taken
        print(f"  {target}: {done.redemptions:,} of {stream.taken:,} redemptions sent "
              f"recorded, {done.grants:,} grants redeemed, {done.entries:,} settlement entries"
              + ("" if whole else "  !! something went missing"), flush=True)


async def count_counter_statements(
    url: str, specs: dict[str, ServerSpec], counter: Counter, args: argparse.Namespace,
    log_dir: Path, validated: OperationResult, redeemed: OperationResult,
) -> None:
    headers = with_key(counter.key)
    validations = redemptions.validate_requests(counter, args.seed, COUNTED_REQUESTS)
    for target, spec in specs.items():
        redeeming = list(itertools.islice(
            redemptions.redeem_requests(counter, counted_stream(target)), 2 * COUNTED_REQUESTS))
        async with statements.counting_proxy(url) as proxy, running_server(
                f"{target}-partners-counted", spec, proxy.url, log_dir) as server:
            if validated.answers_equal:
                validated.statements_per_request[target] = await statements.per_request(
                    proxy, server.graphql_url, validations, headers=headers)
            if redeemed.answers_equal:
                redeemed.statements_per_request[target] = await statements.per_request(
                    proxy, server.graphql_url, redeeming[COUNTED_REQUESTS:],
                    warm_up_with=redeeming[:COUNTED_REQUESTS], headers=headers)


# --- the sales pipeline: a store manager's board, the analytics' time ---------------------

async def bench_pipeline(
    args: argparse.Namespace, log_dir: Path
) -> tuple[dict[str, Any], OperationResult]:
    """The board against the baseline's, compiled (an administrator's board is one
    statement) and executed field by field; then the whole analytics timed on the same
    data (it is executed on either)."""
    async with pipeline.pipeline_database(args.database_url, args.deals) as (url, floor):
        context = run_context(args, url, await server_version(url))
        print(f"b) {pipeline.NAME}: {floor.deals:,} deals, {len(floor.stores)} stores; "
              f"{args.concurrency} managers asking for their store's board", flush=True)
        warn_if_busy(context)
        specs = server_specs(args)
        bodies = pipeline.board_requests(floor, args.seed, DISTINCT_REQUESTS)
        async with contextlib.AsyncExitStack() as stack:
            servers = {target: await stack.enter_async_context(
                running_server(f"{target}-pipeline", spec, url, log_dir))
                for target, spec in specs.items()}
            result = await bench_requests(pipeline.NAME, pipeline.GOAL, bodies, servers, args)
            analytics = await pipeline.time_analytics(servers[COMPILED].graphql_url, floor)
        print(f"  {analytics}", flush=True)
        for error in analytics.errors:
            print(f"  !! analytics answered an error: {error}")
        context["pipeline_analytics"] = {"runs": analytics.runs, "best_ms": analytics.best_ms,
                                         "median_ms": analytics.median_ms,
                                         "deals": floor.deals}
        if args.count_statements and result.answers_equal:
            for target, spec in specs.items():
                async with statements.counting_proxy(url) as proxy, running_server(
                        f"{target}-pipeline-counted", spec, proxy.url, log_dir) as server:
                    result.statements_per_request[target] = await statements.per_request(
                        proxy, server.graphql_url, bodies[:COUNTED_REQUESTS])
    return context, result


async def main(args: argparse.Namespace) -> None:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    log_dir = RESULTS_DIR / f"{stamp}-logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    context: dict[str, Any] = {}
    results: list[OperationResult] = []
    if "reads" in args.scenarios:
        context, results = await bench_reads(args, log_dir)
    if "purchases" in args.scenarios:
        write_context, written = await bench_purchases(args, log_dir)
        context = context or write_context
        context["purchases_database"] = write_context["database"]
        results.append(written)
    if "redemptions" in args.scenarios:
        counter_context, counted = await bench_redemptions(args, log_dir)
        context = context or counter_context
        context["redemptions_database"] = counter_context["database"]
        results.extend(counted)
    if "pipeline" in args.scenarios:
        pipeline_context, board = await bench_pipeline(args, log_dir)
        context = context or pipeline_context
        context["pipeline_database"] = pipeline_context["database"]
        context["pipeline_analytics"] = pipeline_context["pipeline_analytics"]
        results.append(board)
    context["machine"]["load_average_1m_after"] = os.getloadavg()[0]
    path = RESULTS_DIR / f"{stamp}.json"
    write_json(path, context, results)
    print_summary(results, path)
    if any(not result.answers_equal for result in results):
        raise SystemExit(1)


if __name__ == "__main__":
    uvloop.run(main(parse_arguments()))
