"""A stand-in for the GitHub CLI (``gh``) that keeps issues and pull requests in a JSON file and
records every call, for running the workflows' scripts without GitHub.

It answers the subcommands the scripts use, with gh's flags and output (``--json`` fields,
``--jq`` through the real jq, URLs on create), and GitHub's rules where the scripts could break
them: a pull request needs its head branch on the remote (a real bare repository), commits
between base and head, and no other open pull request from the same head; ``--delete-branch``
deletes the branch on the remote. Anything else it is asked is an error, so a script cannot
pass by calling something the stand-in does not know.

    STUB_GH_STATE   the JSON file of issues and pull requests (created when missing)
    STUB_GH_LOG     one JSON line per call: argv, exit status, and the body of a --body-file
    STUB_GH_REMOTE  the bare repository behind the pull requests' branches
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

EMPTY = {"issues": [], "pulls": [], "next": 1}
MUTATING = {("issue", "create"), ("issue", "edit"), ("issue", "close"), ("issue", "comment"),
            ("issue", "reopen"), ("pr", "create"), ("pr", "edit"), ("pr", "close"), ("pr", "comment"),
            ("pr", "reopen"), ("pr", "merge")}


class StubError(Exception):
    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def _flags(args: list[str], spec: dict[str, bool]) -> tuple[list[str], dict[str, Any]]:
    """Split gh-style arguments: ``spec`` maps each flag to whether it takes a value."""
    positional, flags = [], {}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("-"):
            name, _, inline = arg.partition("=")
            if name not in spec:
                raise StubError(f"stub gh: unknown flag {name}")
            if spec[name]:
                if inline:
                    flags[name] = inline
                else:
                    i += 1
                    flags[name] = args[i]
            else:
                flags[name] = True
        else:
            positional.append(arg)
        i += 1
    return positional, flags


def _output(items: Any, flags: dict[str, Any]) -> str:
    if "--json" not in flags:
        raise StubError("stub gh: the scripts should ask for --json")
    fields = flags["--json"].split(",")

    def pick(item: dict) -> dict:
        missing = [f for f in fields if f not in item]
        if missing:
            raise StubError(f"stub gh: Unknown JSON field: {missing[0]!r}")
        return {f: item[f] for f in fields}

    data = [pick(i) for i in items] if isinstance(items, list) else pick(items)
    text = json.dumps(data)
    if "--jq" in flags:
        done = subprocess.run(["jq", "-r", flags["--jq"]], input=text, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise StubError(f"stub gh: --jq failed: {done.stderr.strip()}")
        return done.stdout
    return json.dumps(data, indent=2) + "\n"


def _body(flags: dict[str, Any]) -> str | None:
    if "--body-file" in flags:
        return Path(flags["--body-file"]).read_text(encoding="utf-8")
    return flags.get("--body")


def _git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "--git-dir", os.environ["STUB_GH_REMOTE"], *args], capture_output=True,
                          text=True, check=False)


def _branch(name: str) -> str | None:
    done = _git("rev-parse", "--verify", "--quiet", f"refs/heads/{name}")
    return done.stdout.strip() or None


def _find(items: list[dict], number: str, what: str) -> dict:
    for item in items:
        if str(item["number"]) == str(number):
            return item
    raise StubError(f"GraphQL: Could not resolve to an {what} with the number of {number}.")


def _issue(state: dict, args: list[str], repo: str) -> str:
    verb, rest = args[0], args[1:]
    issues = state["issues"]
    if verb == "list":
        _, flags = _flags(rest, {"--state": True, "--search": True, "--limit": True, "--json": True,
                                 "--jq": True, "--label": True})
        wanted = flags.get("--state", "open").upper()
        found = [i for i in issues if wanted == "ALL" or i["state"] == wanted]
        m = re.search(r'in:title\s+"([^"]*)"', flags.get("--search", ""))
        if m:
            found = [i for i in found if m.group(1).casefold() in i["title"].casefold()]
        found.sort(key=lambda i: -i["number"])
        return _output(found[: int(flags.get("--limit", 30))], flags)
    if verb == "view":
        (number,), flags = _flags(rest, {"--json": True, "--jq": True})
        return _output(_find(issues, number, "issue"), flags)
    if verb == "create":
        _, flags = _flags(rest, {"--title": True, "--body": True, "--body-file": True, "--label": True})
        number = state["next"]
        state["next"] += 1
        url = f"https://github.com/{repo}/issues/{number}"
        issues.append({"number": number, "title": flags["--title"], "body": _body(flags) or "", "state": "OPEN",
                       "comments": [], "url": url})
        return url + "\n"
    if verb in ("edit", "close", "comment", "reopen"):
        (number,), flags = _flags(rest, {"--title": True, "--body": True, "--body-file": True, "--comment": True,
                                         "--reason": True})
        issue = _find(issues, number, "issue")
        if verb == "edit":
            issue["title"] = flags.get("--title", issue["title"])
            issue["body"] = _body(flags) if _body(flags) is not None else issue["body"]
        elif verb == "comment":
            issue["comments"].append(_body(flags))
        else:
            if "--comment" in flags:
                issue["comments"].append(flags["--comment"])
            issue["state"] = "CLOSED" if verb == "close" else "OPEN"
        return issue["url"] + "\n"
    raise StubError(f"stub gh: unsupported: gh issue {verb}")


def _pr(state: dict, args: list[str], repo: str) -> str:
    verb, rest = args[0], args[1:]
    pulls = state["pulls"]
    if verb == "list":
        _, flags = _flags(rest, {"--state": True, "--head": True, "--base": True, "--limit": True,
                                 "--json": True, "--jq": True})
        wanted = flags.get("--state", "open").upper()
        found = [p for p in pulls if wanted == "ALL" or p["state"] == wanted
                 or (wanted == "CLOSED" and p["state"] == "MERGED")]
        if "--head" in flags:
            found = [p for p in found if p["headRefName"] == flags["--head"]]
        found.sort(key=lambda p: -p["number"])
        return _output(found[: int(flags.get("--limit", 30))], flags)
    if verb == "view":
        (number,), flags = _flags(rest, {"--json": True, "--jq": True})
        return _output(_find(pulls, number, "pull request"), flags)
    if verb == "create":
        _, flags = _flags(rest, {"--base": True, "--head": True, "--title": True, "--body": True,
                                 "--body-file": True, "--label": True, "--draft": False})
        base, head = flags["--base"], flags["--head"]
        if _branch(base) is None:
            raise StubError("pull request create failed: GraphQL: Base ref must be a branch (createPullRequest)")
        if _branch(head) is None:
            raise StubError("pull request create failed: GraphQL: Head sha can't be blank, Head ref must be a "
                            "branch (createPullRequest)")
        if any(p["state"] == "OPEN" and p["headRefName"] == head for p in pulls):
            raise StubError(f'a pull request for branch "{head}" into branch "{base}" already exists')
        ahead = _git("rev-list", "--count", f"refs/heads/{base}..refs/heads/{head}").stdout.strip()
        if ahead == "0":
            raise StubError(f"pull request create failed: GraphQL: No commits between {base} and {head}")
        number = state["next"]
        state["next"] += 1
        url = f"https://github.com/{repo}/pull/{number}"
        pulls.append({"number": number, "title": flags["--title"], "body": _body(flags) or "", "state": "OPEN",
                      "headRefName": head, "baseRefName": base, "mergedAt": None, "comments": [], "url": url})
        return url + "\n"
    if verb in ("edit", "close", "comment", "reopen"):
        (number,), flags = _flags(rest, {"--title": True, "--body": True, "--body-file": True, "--comment": True,
                                         "--delete-branch": False})
        pull = _find(pulls, number, "pull request")
        if verb == "edit":
            pull["title"] = flags.get("--title", pull["title"])
            pull["body"] = _body(flags) if _body(flags) is not None else pull["body"]
        elif verb == "comment":
            pull["comments"].append(_body(flags))
        else:
            if "--comment" in flags:
                pull["comments"].append(flags["--comment"])
            pull["state"] = "CLOSED" if verb == "close" else "OPEN"
            if verb == "close" and flags.get("--delete-branch"):
                done = _git("update-ref", "-d", f"refs/heads/{pull['headRefName']}")
                if done.returncode != 0:
                    raise StubError(f"failed to delete remote branch: {done.stderr.strip()}")
        return pull["url"] + "\n"
    raise StubError(f"stub gh: unsupported: gh pr {verb}")


def main(argv: list[str]) -> int:
    state_file, log_file = Path(os.environ["STUB_GH_STATE"]), Path(os.environ["STUB_GH_LOG"])
    state = json.loads(state_file.read_text(encoding="utf-8")) if state_file.exists() else json.loads(json.dumps(EMPTY))
    entry: dict[str, Any] = {"argv": argv}
    if "--body-file" in argv:
        entry["body"] = Path(argv[argv.index("--body-file") + 1]).read_text(encoding="utf-8")
    try:
        if not os.environ.get("GH_TOKEN") and not os.environ.get("GITHUB_TOKEN"):
            raise StubError("gh: To use GitHub CLI in a GitHub Actions workflow, set the GH_TOKEN environment "
                            "variable.", 4)
        repo = os.environ.get("GH_REPO") or ""
        if repo.count("/") != 1:
            raise StubError("stub gh: GH_REPO must name the repository (OWNER/NAME)")
        if len(argv) < 2 or argv[0] not in ("issue", "pr"):
            raise StubError(f"stub gh: unsupported: gh {' '.join(argv)}")
        out = (_issue if argv[0] == "issue" else _pr)(state, argv[1:], repo)
    except StubError as exc:
        entry["exit"] = exc.status
        print(exc, file=sys.stderr)
    else:
        entry["exit"] = 0
        sys.stdout.write(out)
        state_file.write_text(json.dumps(state, indent=2), encoding="utf-8")
    with log_file.open("a", encoding="utf-8") as log:
        log.write(json.dumps(entry) + "\n")
    return entry["exit"]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
