"""``rollout-sim calibrate``: the model's parameters fitted to a chain's history (issue 20)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sim.cli import SeedOpt, SetOpt, app, console, err_console, fail, load_or_fail

history_app = typer.Typer(no_args_is_help=True, help="Chain histories to calibrate from.")
app.add_typer(history_app, name="history")


@app.command("calibrate")
def calibrate_cmd(
    history: Annotated[Path, typer.Argument(
        help="history folder: store_sales.csv (week,store_id,units), optional "
        "online_sales.csv, returns.csv, exceptions.csv")],
    out: Annotated[Path, typer.Option(
        "--out", help="parameters file to write (every parameter, the fitted ones replaced); "
        "OUT_fit.csv and OUT_fit.png are written beside it")],
    network: Annotated[Path | None, typer.Option(
        "--network", help="the base network folder (default: the shipped reference network)")
        ] = None,
    network_out: Annotated[Path | None, typer.Option(
        "--network-out", help="also write a complete network folder (the base network, these "
        "parameters, the fitted seasonality) for --set network.path=DIR")] = None,
    replications: Annotated[int, typer.Option(
        "-n", "--replications", min=1, help="runs of the correction by simulation")] = 2,
    seed: SeedOpt = 1,
    set_: SetOpt = None,
) -> None:
    """Fit demand, seasonality, online share, return and exception rates to a history."""
    from sim.calibrate import CalibrationError, calibrate, write_network, write_parameters
    from sim.loader import ScenarioError
    from sim.network import NetworkError

    if out.suffix.lower() != ".csv":
        fail(f"--out: {out}: give a .csv file (the parameters file)")
    if out.exists() and out.is_dir():
        fail(f"--out: {out}: is a folder; give a .csv file")
    if network_out is not None and network_out.exists() and (
            not network_out.is_dir() or any(network_out.iterdir())):
        fail(f"--network-out: {network_out}: exists and is not an empty folder; give a new one")
    try:
        cal = calibrate(history, network, set_, seed, replications, on_run=lambda line:
                        err_console.print(line, markup=False, highlight=False))
        # The folder first: it is moved into place whole, and refuses a folder in the way.
        folder = [write_network(cal, network_out)] if network_out is not None else []
        written = write_parameters(cal, out) + folder
    except ScenarioError as e:
        fail([str(err) for err in e.errors])
    except (NetworkError, CalibrationError, OSError) as e:
        fail(str(e))
    table = Table(title=f"Calibrated to {history}, weeks {cal.history.span} (95% intervals)",
                  caption="MLE maximum likelihood, MoM method of moments (the methods in "
                  f"{out.stem}_fit.csv); corrected by simulation")
    table.add_column("parameter", no_wrap=True)
    for col in ("base", "fitted", "95% interval"):
        table.add_column(col, justify="right", no_wrap=True)
    table.add_column("how", no_wrap=True)  # short, so the table fits 80 columns
    est = cal.estimates
    for _, r in est[~est["parameter"].str.startswith("seasonality_week_")].iterrows():
        # The method in a word (the whole sentence is in the _fit.csv file).
        method = "MoM" if "moments" in r["method"] else "MLE"
        table.add_row(r["parameter"], f"{r['base']:.4g}", f"{r['estimate']:.4g}",
                      f"[{r['low']:.4g}, {r['high']:.4g}]", method)
    console.print(table)
    season = est[est["parameter"].str.startswith("seasonality_week_")]
    if len(season):
        st = Table(title="Seasonality by calendar week (normalised to the base calendar's mean)")
        for col in ("week", "base", "fitted", "95% interval"):
            st.add_column(col, justify="right")
        for _, r in season.iterrows():
            st.add_row(r["parameter"].rsplit("_", 1)[1], f"{r['base']:.3f}",
                       f"{r['estimate']:.3f}", f"[{r['low']:.3f}, {r['high']:.3f}]")
        console.print(st)
    for note in cal.notes:
        err_console.print(f"note: {note}", markup=False, highlight=False)
    console.print("wrote " + ", ".join(str(p) for p in written), highlight=False,
                  soft_wrap=True)


@history_app.command("simulate")
def history_simulate_cmd(
    scenario: Annotated[Path, typer.Argument(
        help="scenario TOML file (the legacy baseline: a chain's operation as it is today)")],
    out: Annotated[Path, typer.Option("--out", help="history folder to write")],
    seed: SeedOpt = 1,
    set_: SetOpt = None,
) -> None:
    """Write the history of a chain the model simulates (one run), to try calibrate on.

    Set the values to recover with --set parameters.NAME=VALUE, the weeks with
    --set horizon_weeks=N (within the calendar's year).
    """
    from sim.calibrate_history import simulate_history

    sc = load_or_fail(scenario, set_)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        fail(f"--out: {out}: exists and is not an empty folder; give a new one")
    try:
        hist = simulate_history(sc, seed, out)
    except (ValueError, OSError) as e:
        fail(str(e))
    console.print(f"wrote {out}/store_sales.csv, online_sales.csv, returns.csv, exceptions.csv "
                  f"({hist.sales.shape[1]} stores, weeks {hist.span})", highlight=False,
                  soft_wrap=True)
