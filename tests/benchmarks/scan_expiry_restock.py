"""Benchmark: the scheduler's full pass over 100,000 AEDs and 1,000,000 stock lots.

    python -m tests.benchmarks.scan_expiry_restock [--quick] [--backend sqlite|postgresql|both]

Per backend it loads the data, then times the scheduler's work for one period, as the
jobs run it, in one transaction: the reconciliation (every AED's evaluation: expiry
stages of pads and batteries, the monthly check, status and alerts) plus the stations'
checks (shortage aggregate, stock_low alerts, restock tasks with lines, stock expiry). Timings:
the first pass (every AED evaluated: opens every alert, creates every task), a steady
minute later (the deadline job: only AEDs whose answer may have changed), the next day
(stages move: again only those due), and the hourly full sweep over unchanged data.
`value` is the slowest of them. The coverage job runs once after the first pass, as the
scheduler runs it every few minutes (timed apart, not part of `value`): the writers'
recomputation of coverage starts from what it stored.
Baseline, same data, same run: a naive Python loop that fetches the rows and works out
the same expiry stages and shortages in Python (no writes at all); a bare
`SELECT count(*)` pass over both tables is printed beside it. ratio = value / baseline,
smaller is better. Target: value <= 3 s on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, text

from app import migrate
from app.aeds.deadlines import run_deadlines
from app.aeds.evaluation import EvaluationPolicy
from app.aeds.reconcile import reconcile
from app.aeds.refresh import AedContext
from app.alerts.policy import AlertPolicy
from app.config import ReadinessPolicy
from app.coverage.jobs import run_coverage
from app.db import Database
from app.models import (
    Alert,
    Asset,
    ParLevel,
    RestockTask,
    RestockTaskLine,
    Site,
    StockLot,
    SupplyItem,
    Team,
)
from app.stock.jobs import run_restock, run_stock_expiry

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)
TODAY = NOW.astimezone(TZ).date()
POLICY = AlertPolicy()
READINESS = ReadinessPolicy()
CONTEXT = AedContext(EvaluationPolicy.of(READINESS, POLICY), TZ, READINESS)
TARGET_S = 3.0
HOURS = ("24/7", "Mo-Fr 08:00-18:00", "Mo-Su 07:00-22:00")


def load(db: Database, assets: int, lots: int) -> dict[str, int]:
    rnd = random.Random(42)
    sites = max(10, assets // 10)
    stations = max(5, sites // 5)
    items = 20
    chunk = 20_000
    with db.engine.begin() as conn:
        conn.execute(insert(Team), [{"code": f"t{i}", "name": f"队{i}"} for i in range(20)])
        conn.execute(insert(Site), [
            {"external_id": f"s{i}", "name": f"站点{i}", "kind": "first_aid_station",
             "lat": 31.25, "lon": 121.5, "team_id": 1 + i % 20, "is_fictional": True,
             # Hours as a registry has them: without any, coverage counts every AED
             # closed and has nothing to compute.
             "opening_hours": HOURS[i % len(HOURS)]}
            for i in range(sites)])
        conn.execute(insert(SupplyItem), [
            {"code": f"i{i}", "name": f"物资{i}", "unit": "件"} for i in range(items)])
        now = NOW
        for start in range(0, assets, chunk):
            conn.execute(insert(Asset), [
                {"external_id": f"a{i}", "kind": "aed", "site_id": 1 + i % sites,
                 # Spread over greater Shanghai (~2,700 km², 36 AEDs per km²), as a city
                 # registry is: a writer's neighbourhood is then a real one.
                 "name": f"AED{i}", "lat": 31.0 + 0.5 * rnd.random(),
                 "lon": 121.2 + 0.5 * rnd.random(),
                 "pad_expiry": TODAY + timedelta(days=rnd.randint(-30, 1460)),
                 "battery_expiry": TODAY + timedelta(days=rnd.randint(-30, 1460)),
                 # Monthly checks, a few of them late.
                 "last_inspection_at": now - timedelta(days=rnd.uniform(0, 34)),
                 "paediatric_pads": False, "indoor": False, "public": True, "status": "ready",
                 "created_at": now, "updated_at": now}
                for i in range(start, min(assets, start + chunk))])
        conn.execute(insert(ParLevel), [
            {"site_id": 1 + s, "item_id": 1 + it, "minimum": rnd.randint(5, 40),
             "target": 60} for s in range(stations) for it in range(items)])
        per_station = max(1, lots // stations)
        made = 0
        batch: list[dict[str, Any]] = []
        while made < lots:
            s = made // per_station % stations
            batch.append({
                "site_id": 1 + s, "item_id": 1 + rnd.randrange(items),
                "quantity": rnd.randint(0, 6),
                "expiry": (TODAY + timedelta(days=rnd.randint(-10, 1100))
                           if rnd.random() < 0.95 else None),
                "received_at": now})
            made += 1
            if len(batch) == chunk:
                conn.execute(insert(StockLot), batch)
                batch = []
        if batch:
            conn.execute(insert(StockLot), batch)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE" if db.is_sqlite else "VACUUM ANALYZE"))
    return {"sites": sites, "stations": stations, "par_levels": stations * items}


def full_scan(db: Database, now: datetime, full: bool = True) -> tuple[float, dict[str, Any]]:
    """One period's work: every AED evaluated (``full``: the hourly reconciliation) or
    those whose answer may have changed (the deadline job), plus the stations' checks."""
    started = time.perf_counter()
    with db.session() as session:
        if full:
            summary: dict[str, Any] = reconcile(session, now, CONTEXT)
        else:
            run = run_deadlines(session, now, CONTEXT)
            summary = {"aeds": run.aeds, "opened": run.opened}
        summary.update(run_restock(session, now, TZ, POLICY))
        summary.update(run_stock_expiry(session, now, TZ, POLICY))
    return time.perf_counter() - started, summary


def coverage_job(db: Database, now: datetime) -> float:
    """The scheduler's coverage job (every few minutes, beside the scan): it stores what
    every AED carries, which the writers' recomputation starts from."""
    started = time.perf_counter()
    with db.session() as session:
        run_coverage(session, now, TZ)
    return time.perf_counter() - started


def naive_python(db: Database, now: datetime) -> float:
    """The same decisions as a Python loop over fetched rows (reads only)."""
    started = time.perf_counter()
    today = now.astimezone(TZ).date()
    leads = sorted(POLICY.expiry_lead_days)

    def stage(expiry: date | None) -> int | None:
        if expiry is None:
            return None
        left = (expiry - today).days
        if left <= 0:
            return 0
        return next((d for d in leads if left <= d), None)

    wanted = 0
    cut = today + timedelta(days=POLICY.restock_lead_days)
    with db.session() as session:
        for _id, pad, battery in session.execute(
                select(Asset.id, Asset.pad_expiry, Asset.battery_expiry)):
            wanted += (stage(pad) is not None) + (stage(battery) is not None)
        usable: dict[tuple[int, int], int] = defaultdict(int)
        soonest: dict[int, date] = {}
        for site_id, item_id, qty, expiry in session.execute(
                select(StockLot.site_id, StockLot.item_id, StockLot.quantity, StockLot.expiry)):
            if qty <= 0:
                continue
            if expiry is None or expiry > cut:
                usable[(site_id, item_id)] += qty
            if expiry is not None and stage(expiry) is not None:
                soonest[site_id] = min(expiry, soonest.get(site_id, expiry))
        short = sum(1 for site_id, item_id, minimum in session.execute(
            select(ParLevel.site_id, ParLevel.item_id, ParLevel.minimum))
            if usable[(site_id, item_id)] < minimum)
    _ = wanted + short + len(soonest)
    return time.perf_counter() - started


def count_pass(db: Database) -> float:
    started = time.perf_counter()
    with db.engine.connect() as conn:
        conn.execute(select(func.count()).select_from(Asset)).scalar()
        conn.execute(select(func.count()).select_from(StockLot)).scalar()
    return time.perf_counter() - started


@contextmanager
def backend_url(name: str) -> Iterator[str]:
    if name == "sqlite":
        with tempfile.TemporaryDirectory(prefix="bench-scan-") as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        return
    from tests.support.postgres import postgres_server

    # PostgreSQL's durable defaults, as users run it (the suite's cluster has them off).
    with postgres_server(durable=True) as server:
        url = server.create_database()
        try:
            yield url
        finally:
            server.drop_database(url)


def run_backend(name: str, assets: int, lots: int) -> dict[str, Any]:
    with backend_url(name) as url:
        db = Database(url)
        migrate.upgrade(db.engine)
        t0 = time.perf_counter()
        shape = load(db, assets, lots)
        load_s = time.perf_counter() - t0
        first_s, first = full_scan(db, NOW)
        coverage_s = coverage_job(db, NOW)
        steady_s, steady = full_scan(db, NOW + timedelta(minutes=1), full=False)
        next_s, nxt = full_scan(db, NOW + timedelta(days=1), full=False)
        sweep_s, _sweep = full_scan(db, NOW + timedelta(days=1, minutes=1))
        naive_s = naive_python(db, NOW)
        count_s = count_pass(db)
        with db.session() as session:
            alerts = session.scalar(select(func.count()).select_from(Alert).where(
                Alert.status != "resolved"))
            tasks = session.scalar(select(func.count()).select_from(RestockTask).where(
                RestockTask.status == "open"))
            lines = session.scalar(select(func.count()).select_from(RestockTaskLine))
        db.dispose()
    value = max(first_s, steady_s, next_s, sweep_s)
    result = {
        "backend": name, "assets": assets, "stock_lots": lots, **shape,
        "load_s": round(load_s, 1), "first_scan_s": round(first_s, 3),
        "steady_scan_s": round(steady_s, 3), "next_day_scan_s": round(next_s, 3),
        "full_sweep_s": round(sweep_s, 3), "coverage_job_s": round(coverage_s, 3),
        "naive_python_s": round(naive_s, 3), "select_count_s": round(count_s, 3),
        "active_alerts": alerts, "open_tasks": tasks, "task_lines": lines,
        "first": first, "steady_changes": sum(v for k, v in steady.items()
                              if k not in ("task_lines", "aeds", "gateways")),
        "next_day": nxt, "value": value,
    }
    print(json.dumps(result, ensure_ascii=False), file=sys.stderr, flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    assets, lots = (10_000, 100_000) if args.quick else (100_000, 1_000_000)
    names = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    results = [run_backend(n, assets, lots) for n in names]
    for r in results:
        print(f"{r['backend']}: first {r['first_scan_s']}s, steady {r['steady_scan_s']}s, "
              f"next day {r['next_day_scan_s']}s; naive Python {r['naive_python_s']}s; "
              f"count(*) {r['select_count_s']}s; {r['active_alerts']} active alerts, "
              f"{r['open_tasks']} open tasks")
    worst = max(results, key=lambda r: r["value"])
    baseline = worst["naive_python_s"]
    print(json.dumps({
        "name": "scan_expiry_restock",
        "value": round(worst["value"], 3),
        "unit": "s for the slowest full expiry+restock scan (ratio = value/baseline, smaller is better)",
        "baseline": baseline,
        "ratio": round(worst["value"] / baseline, 3) if baseline else None,
        "target": TARGET_S,
        "ok": all(r["value"] <= TARGET_S for r in results),
        "assets": assets, "stock_lots": lots,
        "per_backend": {r["backend"]: {k: r[k] for k in (
            "first_scan_s", "steady_scan_s", "next_day_scan_s", "full_sweep_s", "coverage_job_s",
            "naive_python_s", "select_count_s")} for r in results},
    }))


if __name__ == "__main__":
    main()
