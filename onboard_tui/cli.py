"""The command line: open a session in the wizard, run the demo, report status.

`onboard-tui SESSION` opens the wizard; the other commands are named. Every failure is a
sentence on stderr with exit code 2, never a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from onboard_tui import __version__
from onboard_tui.clock import SystemClock
from onboard_tui.errors import OnboardError
from onboard_tui.logs import log_to_folder
from onboard_tui.roadmap.service import RoadmapService
from onboard_tui.session.store import SessionStore, session_paths
from onboard_tui.status import format_status, session_status

if TYPE_CHECKING:
    from onboard_tui.dns import DnsChecker, Report
    from onboard_tui.ui.app import AnswersRun

DEMO_DIR = Path("demo-session")


class _SessionOrCommand(click.Group):
    """`onboard-tui PATH` opens PATH; `onboard-tui demo` runs a command."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["open", *args]
        return super().parse_args(ctx, args)


@click.group("onboard-tui", cls=_SessionOrCommand, invoke_without_command=True)
@click.version_option(__version__, prog_name="onboard-tui")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Onboard an organisation to cloud mail: 1 Setup, 2 Verify domain, 3 Migrate users,
    4 Assign subscriptions, 5 Configure MX.

    \b
    onboard-tui SESSION      open (or create) a session in the wizard
    onboard-tui demo         the wizard on the built-in sandbox
    onboard-tui serve SESSION   the wizard in a browser (http://127.0.0.1:8080)
    """
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


def _answers_options(command: Callable[..., None]) -> Callable[..., None]:
    """--answers and --headless: the wizard's automated mode."""
    command = click.option(
        "--headless",
        is_flag=True,
        help="With --answers: no screen; print what was done and exit (0 done, 1 stopped).",
    )(command)
    return click.option(
        "--answers",
        "answers_file",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        help="A TOML answers file that drives the wizard through the steps.",
    )(command)


@main.command("open", hidden=True)
@click.argument("session", type=click.Path(path_type=Path))
@_answers_options
def open_cmd(session: Path, answers_file: Path | None, headless: bool) -> None:
    """Open SESSION (a session.toml or its folder); offers to create it when missing."""
    run = _answers_run(answers_file, headless) if answers_file else None
    _run_tui(session, answers=run, headless=headless)


def _serve_options(command: Callable[..., None]) -> Callable[..., None]:
    """--host, --port and --public-url of `serve` and `demo --serve`."""
    for option in reversed(
        (
            click.option(
                "--host",
                default="127.0.0.1",
                show_default=True,
                help="Address to listen on. Anything but loopback lets other machines in "
                "(a warning says so).",
            ),
            click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535)),
            click.option(
                "--public-url",
                default=None,
                metavar="URL",
                help="The address browsers use to reach this server (behind a proxy or "
                "tunnel); default http://HOST:PORT.",
            ),
        )
    ):
        command = option(command)
    return command


@main.command()
@click.option(
    "--dir",
    "folder",
    type=click.Path(path_type=Path, file_okay=False),
    default=DEMO_DIR,
    show_default=True,
    help="Folder of the demo session; running demo again resumes it.",
)
@click.option("--serve", "in_browser", is_flag=True, help="Serve it in a browser instead.")
@_serve_options
@_answers_options
def demo(
    folder: Path,
    in_browser: bool,
    host: str,
    port: int,
    public_url: str | None,
    answers_file: Path | None,
    headless: bool,
) -> None:
    """Open the wizard on the built-in sandbox (creates or resumes the demo session).

    With --serve the wizard is served over HTTP for a browser, as `serve` does.
    """
    from onboard_tui.mail.demo import ensure_demo_mail
    from onboard_tui.service import NewSession

    run = _answers_run(answers_file, headless) if answers_file else None
    if in_browser or answers_file or (sys.stdin.isatty() and sys.stdout.isatty()):
        click.echo(f"Preparing the demo's mailboxes in {folder} (the first time only) …")
        stats = ensure_demo_mail(folder)
        if stats is not None:
            click.echo(f"{stats.messages} messages for {stats.users} users, {stats.seconds:.1f} s.")
    if in_browser:
        _serve(folder, host, port, public_url, demo=True)
    _run_tui(
        folder,
        new=NewSession(name="demo", provider="sandbox"),
        answers=run,
        headless=headless,
    )


@main.command("serve")
@click.argument("session", type=click.Path(path_type=Path))
@_serve_options
def serve_cmd(session: Path, host: str, port: int, public_url: str | None) -> None:
    """Serve the wizard on SESSION in a browser (textual-serve), until Ctrl+C.

    Each browser tab runs its own wizard: the first takes the session, others watch it
    read-only (a reloaded tab takes it back). Bound to 127.0.0.1 unless --host says
    otherwise; from another computer, prefer an SSH tunnel:
    ssh -L 8080:127.0.0.1:8080 SERVER, then open http://127.0.0.1:8080.
    """
    _serve(session, host, port, public_url)


def _serve(
    session: Path, host: str, port: int, public_url: str | None, *, demo: bool = False
) -> NoReturn:
    from onboard_tui.ui.serve import serve

    try:
        serve(
            session,
            host=host,
            port=port,
            demo=demo,
            public_url=public_url,
            report=lambda text: click.echo(text, err=text.startswith("WARNING")),
        )
    except OnboardError as exc:
        _fail(exc)
    sys.exit(0)


@main.command()
@click.argument("session", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status(session: Path, as_json: bool) -> None:
    """Print where SESSION stands on the roadmap."""
    try:
        store = SessionStore.open(session, read_only=True)
        try:
            report = session_status(store, RoadmapService(store, SystemClock()))
        finally:
            store.close()
    except OnboardError as exc:
        _fail(exc)
    except OSError as exc:
        _fail(OnboardError(f"{exc.filename or session}: {exc.strerror or exc}."))
    click.echo(json.dumps(report, indent=2) if as_json else format_status(report))


@main.command("run")
@click.argument("session", type=click.Path(path_type=Path))
@click.option(
    "--group",
    "groups",
    multiple=True,
    metavar="NAME",
    help="A Transfer Group to run (repeatable; default: every group).",
)
@click.option(
    "--once/--watch",
    default=True,
    show_default=True,
    help="--once: return when every user is done or failed. --watch: keep running "
    "(as a service): start scheduled groups at their time, a delta pass every 5 minutes.",
)
def run_cmd(session: Path, groups: tuple[str, ...], once: bool) -> None:
    """Migrate SESSION's Transfer Groups without the wizard (headless).

    Logs go to onboard-tui.log in the session folder. SIGTERM or SIGHUP (or Ctrl+C)
    finishes the current batches, saves the ledger and exits 0; the next run resumes
    without duplicates. A wizard opened meanwhile watches the progress as an observer.
    For a sandbox session the embedded sandbox is started here. The cloud admin password
    comes from [cloud] admin_password (env:NAME or file:PATH); when it is `prompt` it is
    asked for on the terminal, and without a terminal the run stops with exit code 2.

    \b
    Exit codes:
      0  every user done (or stopped cleanly by a signal, or --watch ended)
      1  some users failed (see `onboard-tui status SESSION`)
      2  error: the session, the configuration, the source or the cloud logon
      3  another onboard-tui (wizard or runner) holds the session
    """
    from onboard_tui.mail.runner import run_headless
    from onboard_tui.runner_cli import RunnerServices

    services = RunnerServices(interactive=sys.stdin.isatty())
    try:
        code = run_headless(
            session,
            groups,
            once,
            cloud_target=services.cloud_target,
            report=lambda text: click.echo(f"onboard-tui: {text}", err=True),
        )
    except OnboardError as exc:
        services.stop()
        _fail(exc)
    except OSError as exc:
        services.stop()
        _fail(OnboardError(f"{exc.filename or session}: {exc.strerror or exc}."))
    services.stop()
    sys.exit(code)


@main.group("sandbox")
def sandbox_group() -> None:
    """The embedded sandbox cloud of a demo or sandbox session."""


@sandbox_group.command("activate")
@click.argument("session", type=click.Path(path_type=Path))
@click.argument("emails", nargs=-1, required=True)
def sandbox_activate_cmd(session: Path, emails: tuple[str, ...]) -> None:
    """Activate users as if each logged in once (exit 0 all, 1 some not, 2 error)."""
    from onboard_tui.cloud.sandbox.activate_cli import activate_in_session

    try:
        results = activate_in_session(session, list(emails), SystemClock())
    except OnboardError as exc:
        _fail(exc)
    except OSError as exc:
        _fail(OnboardError(f"{exc.filename or session}: {exc.strerror or exc}."))
    for email, why in results:
        click.echo(f"activated: {email}" if not why else f"not activated: {why}")
    sys.exit(1 if any(why for _, why in results) else 0)


@main.command("import-users")
@click.argument("session", type=click.Path(path_type=Path))
@click.option("--csv", "csv_path", type=click.Path(path_type=Path), help="Users CSV file.")
@click.option(
    "--mapping",
    "mapping_path",
    type=click.Path(path_type=Path),
    help="Column mapping (TOML or JSON: field = header).",
)
@click.option("--ldap", is_flag=True, help="Read the directory configured in the session.")
@click.option("--dry-run", is_flag=True, help="Compare only; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def import_users_cmd(
    session: Path,
    csv_path: Path | None,
    mapping_path: Path | None,
    ldap: bool,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Import users into SESSION from a CSV file or its LDAP directory.

    Exit 0 when every row was imported, 1 when some were rejected, 2 on error. The LDAP
    bind password comes from the session's secret reference, never from the command line.
    """
    from onboard_tui.directory.cli import import_users

    if (csv_path is None) == (not ldap):
        click.echo("onboard-tui: give either --csv FILE or --ldap.", err=True)
        sys.exit(2)
    report, code = import_users(
        session, csv_path=csv_path, mapping_path=mapping_path, ldap=ldap, dry_run=dry_run
    )
    if as_json:
        click.echo(json.dumps(report, indent=2))
    elif "error" in report:
        click.echo(f"onboard-tui: {report['error']}", err=True)
    else:
        click.echo(_format_import(report, dry_run))
    sys.exit(code)


def _format_import(report: dict[str, object], dry_run: bool) -> str:
    counts = ", ".join(
        f"{report[key]} {key}" for key in ("added", "updated", "unchanged", "missing")
    )
    rejected = report.get("rejected") or []
    assert isinstance(rejected, list)
    lines = [f"{'Would import' if dry_run else 'Imported'}: {counts}; {len(rejected)} rejected."]
    lines += [f"  line {r['line']}: {r['field']} {r['value']!r}: {r['reason']}" for r in rejected]
    return "\n".join(lines)


def _dns_options(command: Callable[..., None]) -> Callable[..., None]:
    """The options check-domain and check-mx share, outermost last."""
    for option in reversed(
        (
            click.option(
                "--nameserver",
                "nameservers",
                multiple=True,
                metavar="HOST[:PORT]",
                help="Ask this server (repeatable) instead of the domain's authoritative "
                "servers found in DNS: useful while moving to a new DNS host.",
            ),
            click.option("--timeout", default=3.0, show_default=True, help="Seconds per server."),
            click.option(
                "--resolver",
                default=None,
                metavar="HOST[:PORT]",
                help="Resolver for finding zones, name servers and MX target addresses "
                "(default: this machine's, from /etc/resolv.conf).",
            ),
            click.option(
                "--no-system-resolver",
                "skip_resolver",
                is_flag=True,
                help="Do not also ask this machine's resolver (which may cache old answers).",
            ),
            click.option("--json", "as_json", is_flag=True, help="Machine-readable output."),
        )
    ):
        command = option(command)
    return command


@main.command("check-domain")
@click.argument("domain")
@click.option("--key", required=True, help="The unique verification key the cloud gave.")
@click.option("--target", default=None, help="CNAME target (default: collabserv.com).")
@_dns_options
def check_domain_cmd(
    domain: str,
    key: str,
    target: str | None,
    nameservers: tuple[str, ...],
    timeout: float,
    resolver: str | None,
    skip_resolver: bool,
    as_json: bool,
) -> None:
    """Check the verification CNAME KEY.DOMAIN on every authoritative server.

    Exit 0 when verified, 1 when not yet, 2 on error or bad arguments.
    """
    from onboard_tui.dns import DEFAULT_TARGET

    def check() -> Report:
        checker = _checker(timeout, resolver, skip_resolver)
        return checker.check_domain(domain, key, target or DEFAULT_TARGET, nameservers=nameservers)

    _report(check, as_json)


@main.command("check-mx")
@click.argument("domain")
@click.option("--expect", default=None, help="The SMTP host the MX record should name.")
@_dns_options
def check_mx_cmd(
    domain: str,
    expect: str | None,
    nameservers: tuple[str, ...],
    timeout: float,
    resolver: str | None,
    skip_resolver: bool,
    as_json: bool,
) -> None:
    """Show DOMAIN's MX set as every authoritative server answers it.

    Exit 0 when as expected (or sound, without --expect), 1 when not, 2 on error.
    """

    def check() -> Report:
        checker = _checker(timeout, resolver, skip_resolver)
        return checker.check_mx(domain, expect=expect, nameservers=nameservers)

    _report(check, as_json)


def _checker(timeout: float, resolver: str | None, skip_resolver: bool) -> DnsChecker:
    """A checker for the CLI; `resolver` (HOST[:PORT]) replaces /etc/resolv.conf's."""
    from onboard_tui.dns import DnsChecker, parse_nameserver, resolver_at

    chosen = None
    if resolver:
        spec = parse_nameserver(resolver)
        chosen = resolver_at(spec)
    return DnsChecker(timeout=timeout, resolver=chosen, ask_system_resolver=not skip_resolver)


def _report(check: Callable[[], Report], as_json: bool) -> None:
    try:
        report = check()
    except OnboardError as exc:
        _fail(exc)
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2))
    else:
        click.echo(_format_report(report))
    sys.exit(report.exit_code)


def _format_report(report: Report) -> str:
    lines = [f"{report.domain}: {report.status}", f"  {report.message}"]
    for server in report.servers:
        where = f"{server.server} ({server.address})" if server.address else server.server
        said = server.answer or server.error or "-"
        lines.append(f"  {server.status:<14} {where}: {said}")
    lines += [f"  warning: {w}" for w in report.warnings]
    return "\n".join(lines)


def _run_tui(
    session: Path, *, new: object = None, answers: AnswersRun | None = None, headless: bool = False
) -> None:
    if headless and answers is None:
        _fail(OnboardError("--headless needs --answers FILE: there is nobody to answer."))
    run = answers
    if not headless and not (sys.stdin.isatty() and sys.stdout.isatty()):
        click.echo(
            "onboard-tui: the wizard needs a terminal (stdin and stdout are not a TTY). "
            "Run it in an SSH session or tmux, or use `onboard-tui status` for scripts.",
            err=True,
        )
        sys.exit(2)
    from onboard_tui.service import NewSession
    from onboard_tui.ui.app import make_app

    _, folder = session_paths(session)
    if folder.exists() or isinstance(new, NewSession):
        log_to_folder(folder)
    app = make_app(
        session,
        new=new if isinstance(new, NewSession) else None,
        show_tour=run is None,
        answers=run,
    )
    code = app.run(headless=headless)
    if run is not None and run.outcome is not None:
        click.echo(run.outcome.summary(), err=code != 0)
    elif headless:
        click.echo(f"onboard-tui: {session} could not be opened; see onboard-tui.log.", err=True)
        code = code or 1
    sys.exit(code or 0)


def _answers_run(path: Path, headless: bool) -> AnswersRun:
    """Read the answers and their passwords before the screen is taken over."""
    import getpass

    from onboard_tui.answers import load_answers, resolve_secrets
    from onboard_tui.ui.app import AnswersRun

    try:
        answers = load_answers(path)
        ask = getpass.getpass if sys.stdin.isatty() and not headless else None
        secrets = resolve_secrets(answers, ask)
    except OnboardError as exc:
        _fail(exc)
    return AnswersRun(answers, secrets, quit_when_done=headless or answers.quit_when_done)


def _fail(exc: OnboardError) -> NoReturn:
    click.echo(f"onboard-tui: {exc}", err=True)
    sys.exit(2)
