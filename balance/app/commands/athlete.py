"""``balance athlete add|edit|assign|list|show|delete``: the people in the history database."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from balance.app.commands._common import (
    EXAMPLES_FORMATTER,
    add_athlete_argument,
    add_db_argument,
    add_json_argument,
    fail,
    fmt_num,
    format_table,
    open_store,
    print_json,
)

EXAMPLES = """\
examples:
  balance athlete add "Sam" --born 1998 --mass-kg 72
  balance athlete add --code P07 --mass-kg 65      # pseudonymous: no name stored
  balance athlete list
  balance athlete show Sam --json
  balance athlete edit Sam --mass-kg 74            # body mass changed
  balance athlete edit Sam --sex F --group "U18 football"   # for reference values and squad norms
  balance athlete assign GUEST-001 Sam             # a guest's tests go to Sam
  balance athlete delete Sam --yes                 # deletes every session, trial and raw file of Sam
"""


def register(subparsers: Any) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "athlete",
        help="add, edit, assign, list, show or delete athletes",
        description="Manage the athletes in the history database. An athlete has a name and/or a "
        "pseudonymous code (A001, A002... unless you choose one), and optionally a birth year and body mass.",
        epilog=EXAMPLES,
        formatter_class=EXAMPLES_FORMATTER,
    )
    sub = p.add_subparsers(dest="athlete_command", metavar="ACTION")
    add = sub.add_parser("add", help="add an athlete", description="Add an athlete by name and/or code.",
                         epilog=EXAMPLES, formatter_class=EXAMPLES_FORMATTER)  # fmt: skip
    add.add_argument("name", nargs="?", help="name (leave out and give --code for a pseudonymous athlete)")
    add.add_argument("--code", help="pseudonymous code (default: A001, A002, ...)")
    add.add_argument("--born", type=int, metavar="YEAR", help="birth year, e.g. 1998")
    add.add_argument("--mass-kg", type=float, metavar="KG", help="body mass in kg")
    add.add_argument("--notes", default="", help="free text")
    _sex_group_arguments(add)
    edit = sub.add_parser("edit", help="change name, birth year, body mass, sex, group or notes",
                          description="Change an athlete's name, birth year, body mass, sex, group or notes.",
                          epilog=EXAMPLES, formatter_class=EXAMPLES_FORMATTER)  # fmt: skip
    add_athlete_argument(edit)
    edit.add_argument("--name", help="new name")
    edit.add_argument("--born", type=int, metavar="YEAR", help="birth year")
    edit.add_argument("--mass-kg", type=float, metavar="KG", help="body mass in kg")
    edit.add_argument("--notes", default=None, help="free text (replaces the old notes)")
    _sex_group_arguments(edit, clear=True)
    assign = sub.add_parser(
        "assign", help="give a guest's sessions to a named athlete",
        description="Give every session of GUEST (a code from `balance test --guest`) to NAME: when NAME is an "
        "existing athlete the sessions are merged into theirs and the guest is removed; otherwise the guest is "
        "renamed NAME. Raw recordings move with their sessions.",
        epilog=EXAMPLES, formatter_class=EXAMPLES_FORMATTER,
    )  # fmt: skip
    assign.add_argument("guest", metavar="GUEST", help="the guest code (or any athlete's name or code)")
    assign.add_argument("name", metavar="NAME", help="the athlete to give the sessions to (existing or new name)")
    lst = sub.add_parser("list", help="list athletes", description="List every athlete with their sessions.",
                         epilog=EXAMPLES, formatter_class=EXAMPLES_FORMATTER)  # fmt: skip
    show = sub.add_parser("show", help="one athlete and their sessions",
                          description="One athlete's details and the list of their sessions.",
                          epilog=EXAMPLES, formatter_class=EXAMPLES_FORMATTER)  # fmt: skip
    add_athlete_argument(show)
    delete = sub.add_parser("delete", help="delete an athlete and ALL their data",
                            description="Delete an athlete with every session, trial and raw recording file.",
                            epilog=EXAMPLES, formatter_class=EXAMPLES_FORMATTER)  # fmt: skip
    add_athlete_argument(delete)
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    for q in (add, edit, assign, lst, show, delete):
        add_db_argument(q)
        add_json_argument(q)
    p.set_defaults(_athlete_parser=p)
    return p


def _sex_group_arguments(q: argparse.ArgumentParser, *, clear: bool = False) -> None:
    hint = " ('' clears it)" if clear else ""
    q.add_argument("--sex", metavar="F|M", help=f"sex, for sex-specific reference values (optional){hint}")
    q.add_argument("--group", metavar="TAG", help=f"free group tag, e.g. sport or team: the squad's own norms can be "
                   f"limited to it (optional){hint}")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from balance.app.commands._common import safe_output

    safe_output()
    from balance.app.store import StoreError

    action = getattr(args, "athlete_command", None)
    if action is None:
        args._athlete_parser.print_help()
        return 2
    try:
        return {"add": _add, "edit": _edit, "assign": _assign, "list": _list, "show": _show,
                "delete": _delete}[action](args)  # fmt: skip
    except StoreError as err:
        return fail("athlete", str(err))


def _athlete_dict(a: Any) -> dict[str, Any]:
    return {
        "id": a.id, "code": a.code, "name": a.name, "birth_year": a.birth_year, "mass_kg": a.mass_kg,
        "created_at": a.created_at, "notes": a.notes, "sessions": a.n_sessions, "trials": a.n_trials,
        "last_session_at": a.last_session_at, "sex": a.sex, "group": a.group,
    }  # fmt: skip


def _add(args: argparse.Namespace) -> int:
    from balance.app.errors import UsageError

    if not args.name and not args.code:
        raise UsageError("give a NAME or --code CODE, e.g. `balance athlete add Sam` or `balance athlete add --code P07`")
    with open_store(args) as store:
        a = store.add_athlete(args.name, code=args.code, birth_year=args.born, mass_kg=args.mass_kg, notes=args.notes,
                              sex=args.sex, group=args.group)  # fmt: skip
        if args.json:
            print_json(_athlete_dict(a))
        else:
            who = f"{a.name} (code {a.code})" if a.name else f"code {a.code}"
            print(f"added {who} to {store.path}")
            print(f"next: balance test single-leg --athlete {a.label}")
    return 0


def _edit(args: argparse.Namespace) -> int:
    from balance.app.errors import UsageError

    if all(v is None for v in (args.name, args.born, args.mass_kg, args.notes, args.sex, args.group)):
        raise UsageError("nothing to change: give --name, --born, --mass-kg, --notes, --sex or --group")
    with open_store(args, create=False) as store:
        a = store.update_athlete(args.athlete, name=args.name, birth_year=args.born, mass_kg=args.mass_kg,
                                 notes=args.notes, sex=args.sex, group=args.group)  # fmt: skip
        if args.json:
            print_json(_athlete_dict(a))
        else:
            print(f"updated {a.label} ({a.code})")
    return 0


def _assign(args: argparse.Namespace) -> int:
    with open_store(args, create=False) as store:
        src = store.get_athlete(args.guest)
        merged = store.find_athlete(args.name) is not None
        a, n = store.assign_athlete(src, args.name)
        if args.json:
            print_json({**_athlete_dict(a), "from": src.code, "sessions_moved": n, "merged": merged})
        elif merged:
            print(f"{n} session(s) of {src.code} given to {a.label} ({a.code}); {src.code} removed")
        else:
            print(f"{src.code} is now {a.label} (code {a.code}), {n} session(s)")
    return 0


def _list(args: argparse.Namespace) -> int:
    from balance.app.store import printable  # names stored by older versions may hold escapes

    with open_store(args) as store:
        athletes = store.list_athletes()
        if args.json:
            print_json([_athlete_dict(a) for a in athletes])
            return 0
        if not athletes:
            print(f"no athletes yet in {store.path}; add one with: balance athlete add NAME")
            return 0
        rows = [
            [printable(a.code), printable(a.name or ""), a.birth_year or "", fmt_num(a.mass_kg), a.n_sessions, a.n_trials,
             (a.last_session_at or "")[:10]]
            for a in athletes
        ]  # fmt: skip
        print(format_table(["code", "name", "born", "mass kg", "sessions", "trials", "last test"], rows,
                           right=lambda i: i >= 2))  # fmt: skip
    return 0


def _show(args: argparse.Namespace) -> int:
    from balance.app.store import printable

    with open_store(args) as store:
        a = store.get_athlete(args.athlete)
        sessions = store.sessions(a)
        if args.json:
            d = _athlete_dict(a)
            d["session_list"] = [
                {"id": s.id, "started_at": s.started_at, "protocol": s.protocol, "status": s.status,
                 "source": s.source, "trials": len(s.trials), "valid_trials": sum(t.valid for t in s.trials)}
                for s in sessions
            ]  # fmt: skip
            print_json(d)
            return 0
        print(f"{a.label}  (code {printable(a.code)})")
        if a.birth_year:
            print(f"  born {a.birth_year}")
        if a.mass_kg:
            print(f"  body mass {a.mass_kg:g} kg")
        if a.sex or a.group:
            print("  " + ", ".join(x for x in (a.sex and f"sex {a.sex}", a.group and f"group {a.group}") if x))
        if a.notes:
            print("  notes: " + "\n         ".join(printable(line) for line in a.notes.splitlines()))
        if not sessions:
            print(f"  no sessions yet: balance test single-leg --athlete {a.label}")
            return 0
        rows = [
            [s.id, s.started_at[:16].replace("T", " "), s.protocol, s.status, len(s.trials), sum(t.valid for t in s.trials)]
            for s in sessions
        ]
        print(format_table(["session", "started (UTC)", "protocol", "status", "trials", "valid"], rows,
                           right=lambda i: i in (0, 4, 5)))  # fmt: skip
    return 0


def _delete(args: argparse.Namespace) -> int:
    from balance.app.errors import UsageError

    with open_store(args, create=False) as store:
        a = store.get_athlete(args.athlete)
        if not args.yes:
            if not sys.stdin.isatty():
                raise UsageError(f"deleting {a.label} removes all their data; pass --yes to confirm")
            answer = input(
                f"Delete {a.label} ({a.code}) with {a.n_sessions} session(s) and {a.n_trials} trial(s)? "
                "This cannot be undone. Type yes: "
            )
            if answer.strip().lower() != "yes":
                print("nothing deleted")
                return 1
        rep = store.delete_athlete(a)
        if args.json:
            print_json({"athlete": _athlete_dict(rep.athlete), "sessions": rep.sessions, "trials": rep.trials,
                        "measures": rep.measures, "rows": rep.rows, "raw_files": rep.raw_files,
                        "raw_bytes": rep.raw_bytes, "raw_errors": list(rep.raw_errors)})  # fmt: skip
        else:
            print(rep.describe())
        return 1 if rep.raw_errors else 0
