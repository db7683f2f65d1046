"""What a hostile pull request can do with issue files, templates and configuration: nothing."""

from __future__ import annotations

import re
import tracemalloc
from pathlib import Path

import pytest
from jinja2.sandbox import SandboxedEnvironment

from issuelog.core.cache import load_issues
from issuelog.core.config import builtin_templates_dir, load_config
from issuelog.core.frontmatter_edit import edit_frontmatter, read_frontmatter
from issuelog.core.model import parse_issue
from issuelog.errors import IssueFileError, TemplateError
from issuelog.log.changes import IssueDiff
from issuelog.log.render import make_environment, render_diff, render_log
from tests.conftest import Invoke, files_snapshot, issue_text, make_tree

PACKAGE = Path(__file__).resolve().parents[1] / "issuelog"
BILLION_LAUGHS = issue_text(extra="\n".join(
    ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    + [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 10)]
))  # 10**10 strings once expanded


# --- YAML: data only ----------------------------------------------------------------------------

@pytest.mark.parametrize("tag", [
    "!!python/object/apply:os.mkdir", "!!python/object/new:os.mkdir", "!!python/name:os.mkdir",
])
def test_language_tags_never_run_code_in_either_yaml_library(tmp_path: Path, tag: str) -> None:
    sentinel = tmp_path / "pwned"
    text = issue_text(extra=f"payload: {tag} [{str(sentinel)!r}]")
    issue, problems = parse_issue(Path("issues/ISSUE-001-x.md"), text)
    assert issue is None and "could not determine a constructor" in problems[0].message
    try:  # the round-trip library used for edits keeps unknown tags as data or refuses them
        read_frontmatter(text)
        edit_frontmatter(text, {"severity": "low"})
    except IssueFileError:
        pass
    assert not sentinel.exists()


def test_yaml_is_only_ever_loaded_by_the_safe_loaders() -> None:
    """A new `yaml.load` with another loader, or an unsafe ruamel type, fails this test."""
    for path in PACKAGE.rglob("*.py"):
        source = path.read_text()
        for call in re.findall(r"yaml\.(?:load|load_all|full_load|unsafe_load)\([^)]*\)", source):
            assert "Loader=SafeIssueLoader" in call, f"{path.name}: {call}"
        assert not re.search(r"YAML\(typ=\"(?:unsafe|full)\"", source), path.name
        assert "frontmatter.load" not in source, path.name


def test_an_alias_bomb_is_refused_with_bounded_memory() -> None:
    tracemalloc.start()
    try:
        issue, problems = parse_issue(Path("issues/ISSUE-001-x.md"), BILLION_LAUGHS)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert issue is None
    assert str(problems[0]) == ("issues/ISSUE-001-x.md:8: invalid YAML: "
                                "YAML aliases (*name) are not allowed in issue files")
    assert peak < 2 * 1024 * 1024  # bytes: the ten billion strings were never built


def test_the_round_trip_loader_refuses_an_alias_bomb_too() -> None:
    tracemalloc.start()
    try:
        with pytest.raises(IssueFileError, match=r":8: YAML aliases \(\*name\) are not allowed"):
            read_frontmatter(BILLION_LAUGHS)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024


# --- templates: Jinja2's sandbox, closed to the file system --------------------------------------

ESCAPES = {
    "mro subclasses": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "config globals": "{{ config.__class__.__init__.__globals__ }}",
    "cycler os": "{{ cycler.__init__.__globals__.os.system('touch PWNED') }}",
    "joiner os": "{{ joiner.__init__.__globals__['os'].popen('touch PWNED').read() }}",
    "lipsum globals": "{{ lipsum.__globals__['os'].system('touch PWNED') }}",
    "namespace globals": "{{ namespace.__init__.__globals__ }}",
    "template context": "{{ self._TemplateReference__context }}",
    "helper globals": "{{ link.__globals__ }}",
    "bound method self": "{{ config.severity.__self__ }}",
    "format string": "{{ '{0.__class__.__mro__}'.format(config) }}",
    "mutate a list": "{{ summary.issues.append(1) }}",
    "read a file": "{{ config.root.joinpath('/etc/hostname').read_text() }}",
    "write a file": "{{ config.root.joinpath('PWNED').write_text('x') }}",
    "issue path": "{{ issues[0].path.read_bytes() }}",
    "list a directory": "{{ config.issues_path.parent.parent.iterdir() | list }}",
    "open via path": "{{ config.source.open().read() }}",
    "huge string": "{{ 'x' * 10000000000 }}",
    "huge number": "{{ 10 ** 100000000 }}",
    "huge range": "{{ range(10000000000) | list }}",
    "include outside": "{% include '../../../../etc/passwd' %}",
    "include absolute": "{% include '/etc/passwd' %}",
    "endless recursion": "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
}


@pytest.fixture
def hostile_project(project: Path) -> Path:
    """A project with one issue and a rendered log, as a pull request would find it."""
    make_tree(project, {"issues/ISSUE-001-a.md": issue_text()})
    (project / ".issuelog" / "templates").mkdir(parents=True)
    config = load_config(project)
    (project / "ISSUES.md").write_text(render_log(load_issues(config).issues, config))
    return project


@pytest.mark.parametrize("name", sorted(ESCAPES))
def test_sandbox_escapes_fail_with_a_clear_error(hostile_project: Path, cli: Invoke, name: str) -> None:
    (hostile_project / ".issuelog" / "templates" / "ISSUES.md.j2").write_text(ESCAPES[name] + "\n")
    before = files_snapshot(hostile_project)
    with pytest.raises(TemplateError) as caught:
        render_log(load_issues(load_config(hostile_project)).issues, load_config(hostile_project))
    message = str(caught.value)
    clear = r"sandbox|unsafe|undefined|not found|too (large|long|big|deeply)"
    assert re.search(clear, message, re.IGNORECASE), message
    result = cli("render", code=1)
    assert result.stderr.startswith("issuelog: ") and "ISSUES.md.j2" in result.stderr
    assert "Traceback" not in result.output
    assert files_snapshot(hostile_project) == before
    assert not (hostile_project / "PWNED").exists()


def test_a_project_macro_file_puts_the_built_in_templates_in_the_sandbox(hostile_project: Path) -> None:
    # The built-in diff.md.j2 imports _macros.md.j2: a pull request that adds only that file
    # must not get the speed of the trusted, unsandboxed environment.
    (hostile_project / ".issuelog" / "templates" / "_macros.md.j2").write_text(
        "{{ ''.__class__.__mro__[1].__subclasses__() }}\n"  # runs when diff.md.j2 imports it
    )
    config = load_config(hostile_project)
    assert isinstance(make_environment(config), SandboxedEnvironment)
    with pytest.raises(TemplateError, match="refused by the sandbox"):
        render_diff(IssueDiff([]), "main", "HEAD", config)


def test_only_a_project_without_templates_renders_unsandboxed(hostile_project: Path) -> None:
    config = load_config(hostile_project)
    assert not isinstance(make_environment(config), SandboxedEnvironment)
    trusted = render_log(load_issues(config).issues, config)
    templates = hostile_project / ".issuelog" / "templates"
    (templates / "ISSUES.md.j2").write_text((builtin_templates_dir() / "ISSUES.md.j2").read_text())
    assert isinstance(make_environment(config), SandboxedEnvironment)
    assert render_log(load_issues(config).issues, config) == trusted
    (templates / "ISSUES.md.j2").unlink()
    (templates / "notes.txt").symlink_to(templates / "missing")  # even a broken link counts
    assert isinstance(make_environment(config), SandboxedEnvironment)


def test_templates_may_still_show_path_names(hostile_project: Path) -> None:
    (hostile_project / ".issuelog" / "templates" / "ISSUES.md.j2").write_text(
        "{% for issue in issues %}{{ issue.path.name }} {{ issue.path.stem }}{% endfor %}\n"
    )
    config = load_config(hostile_project)
    assert render_log(load_issues(config).issues, config) == "ISSUE-001-a.md ISSUE-001-a\n"


def test_a_template_linking_out_of_the_templates_directory_is_refused(
    hostile_project: Path, cli: Invoke, tmp_path_factory: pytest.TempPathFactory
) -> None:
    secret = tmp_path_factory.mktemp("outside") / "secret.txt"
    secret.write_text("TOKEN=hunter2\n")
    templates = hostile_project / ".issuelog" / "templates"
    (templates / "leak.md.j2").symlink_to(secret)
    (templates / "ISSUES.md.j2").write_text("{% include 'leak.md.j2' %}\n")
    result = cli("render", code=1)
    assert "a symbolic link out of the templates directory" in result.stderr
    assert "hunter2" not in (hostile_project / "ISSUES.md").read_text()
    (templates / "ISSUES.md.j2").unlink()
    (templates / "ISSUES.md.j2").symlink_to(secret)
    assert "a symbolic link out of the templates directory" in cli("render", code=1).stderr


# --- configuration: no reads or writes outside the project ---------------------------------------

@pytest.mark.parametrize(("line", "key"), [
    ('output = "../outside.md"', "output"),
    ('output = "/tmp/outside.md"', "output"),
    ('issues_dir = "../../"', "issues_dir"),
    ('templates_dir = "/etc"', "templates_dir"),
])
def test_configured_paths_must_stay_in_the_project(project: Path, cli: Invoke, line: str, key: str) -> None:
    (project / "issuelog.toml").write_text(f'project = "Demo"\n{line}\n')
    result = cli("render", code=2)
    assert f"issuelog.toml: '{key}' must be a relative path inside the project" in result.stderr
    assert not (project.parent / "outside.md").exists()


@pytest.mark.parametrize("key", ["issues_dir", "templates_dir"])
def test_configured_directories_linked_out_of_the_project_are_refused(
    project: Path, cli: Invoke, tmp_path_factory: pytest.TempPathFactory, key: str
) -> None:
    outside = tmp_path_factory.mktemp("outside")
    (project / "linked").symlink_to(outside, target_is_directory=True)
    (project / "issuelog.toml").write_text(f'project = "Demo"\n{key} = "linked"\n')
    result = cli("check", code=2)
    assert f"'{key}' leads out of the project through a symbolic link (linked -> {outside})" in result.stderr


def test_a_rendered_log_linked_out_of_the_project_is_not_written_through(
    project: Path, cli: Invoke, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside") / "victim.md"
    outside.write_text("precious\n")
    (project / "ISSUES.md").symlink_to(outside)
    make_tree(project, {"issues/ISSUE-001-a.md": issue_text()})
    assert "'output' leads out of the project through a symbolic link" in cli("render", code=2).stderr
    assert outside.read_text() == "precious\n"


# --- values from issue files cannot break or inject into the rendered log -----------------------

def test_hostile_values_are_escaped_in_every_table(project: Path, cli: Invoke) -> None:
    hostile = "<script>alert(1)</script> | [x](javascript:alert(1)) <img src=x onerror=alert(1)>"
    make_tree(project, {
        "issues/ISSUE-001-a.md": issue_text(title=repr(hostile), extra=f"""
            component: {hostile!r}
            assignee: {hostile!r}
            phase: {hostile!r}
            category: other
            reference: {{area: {hostile!r}, cause: {hostile!r}, solution: {hostile!r}}}
        """),
        "issues/ISSUE-002-b.md": issue_text("ISSUE-002", status="resolved", title=repr(hostile),
                                            extra=f"resolved: 2026-01-11\nphase: {hostile!r}"),
    })
    cli("render")
    log = (project / "ISSUES.md").read_text()
    assert "<script" not in log and "<img" not in log
    assert "&lt;script&gt;" in log
    header_columns = 0
    for line in log.splitlines():
        if not line.startswith("|"):
            header_columns = 0
            continue
        columns = len(re.split(r"(?<!\\)\|", line)) - 2
        header_columns = header_columns or columns
        assert columns == header_columns, line


def test_the_html_export_template_runs_in_the_same_sandbox(hostile_project: Path, cli: Invoke) -> None:
    (hostile_project / ".issuelog" / "templates" / "export.html.j2").write_text(
        "{{ config.root.joinpath('issuelog.toml').read_text() }}\n"
    )
    result = cli("export", "--format", "html", code=1)
    assert "refused by the sandbox" in result.stderr
    assert "Demo" not in result.stdout


def test_issue_links_are_percent_encoded(project: Path, cli: Invoke) -> None:
    make_tree(project, {"issues/ISSUE-001-a b)(javascript:x).md": issue_text()})
    cli("render")
    log = (project / "ISSUES.md").read_text()
    assert "[ISSUE-001](issues/ISSUE-001-a%20b%29%28javascript%3Ax%29.md)" in log


def test_show_and_edits_do_not_follow_a_symlink_out_of_the_repository(
    project: Path, cli: Invoke, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside") / "secret.md"
    outside.write_text(issue_text(title="SECRET"))
    (project / "issues" / "ISSUE-001-link.md").symlink_to(outside)
    for args in (["show", "1"], ["show", "1", "--format", "json"], ["assign", "1", "grace"],
                 ["resolve", "1"]):
        result = cli(*args, code=1)
        assert "outside the repository: not read" in result.stderr
        assert "SECRET" not in result.stdout
    assert outside.read_text() == issue_text(title="SECRET")
