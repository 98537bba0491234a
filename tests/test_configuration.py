"""Tests of the configuration sources (locust/configuration.py) and the parser's help
and errors (locust/argument_parser.py): each source, their precedence, bad input.

In process: ``parse_options`` with a temporary working directory and home
and a given environment. As a user would: ``python -m locust`` with a
locust.conf, a pyproject.toml and LOCUST_* variables, against the counting
target.
"""

import textwrap

import pytest

from locust.argument_parser import create_parser
from locust.main import CommandLineError, parse_options
from support.locust_process import assert_one_clean_line, csv_total, locust_env, run_locust


@pytest.fixture
def place(tmp_path, monkeypatch):
    """A working directory and a home directory, both empty; returns (cwd, home)."""
    cwd, home = tmp_path / "work", tmp_path / "home"
    cwd.mkdir()
    home.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("HOME", str(home))
    return cwd, home


def parse(args=(), env=None, strict=True):
    return parse_options(list(args), environ=env or {}, strict=strict)[1]


def write(path, text):
    path.write_text(textwrap.dedent(text))
    return path


# ---------------------------------------------------------------- sources

def test_each_source_and_its_precedence(place):
    cwd, home = place
    write(home / ".locust.conf", "users = 1\nrun-time = 1m\nhost = http://home\n")
    assert parse().num_clients == 1
    write(cwd / "locust.conf", "users = 2\nspawn-rate = 4\n")
    options = parse()
    assert options.num_clients == 2 and options.run_time == 60 and options.hatch_rate == 4.0
    assert options.host == "http://home"
    write(cwd / "pyproject.toml", """
        [project]
        name = "x"

        [tool.locust]
        users = 3
        headless = true
        """)
    options = parse()
    assert options.num_clients == 3 and options.no_web and options.hatch_rate == 4.0
    write(cwd / "ci.conf", "users = 4\n")
    assert parse(["--config", "ci.conf"]).num_clients == 4
    options = parse(["--config", "ci.conf"], env={"LOCUST_USERS": "5"})
    assert options.num_clients == 5
    options = parse(["--config", "ci.conf", "-u", "6"], env={"LOCUST_USERS": "5"})
    assert options.num_clients == 6
    assert options._sources == {"num_clients": "command line", "config": "command line",
                                "run_time": str(home / ".locust.conf"),
                                "host": str(home / ".locust.conf"), "hatch_rate": "locust.conf",
                                "no_web": "pyproject.toml"}


def test_old_and_new_spellings_as_keys_and_variables(place):
    cwd, _home = place
    write(cwd / "locust.conf", """
        # a comment
        [locust]
        clients: 7
        hatch-rate 2.5
        no-web
        run_time = 30s    # underscores work too
        --csv = "out"
        """)
    options = parse()
    assert (options.num_clients, options.hatch_rate, options.no_web) == (7, 2.5, True)
    assert options.run_time == 30 and options.csv_prefix == "out"
    env = {"LOCUST_HEADLESS": "false", "LOCUST_CLIENTS": "9", "LOCUST_SPAWN_RATE": "3",
           "LOCUST_MODE_MASTER": "true", "LOCUST_MASTER_NODE_PORT": "6000",
           "LOCUST_EXPECT_WORKERS": "2", "LOCUST_UNRELATED": "whatever"}
    options = parse(env=env)
    # false in a higher source switches off a true from a lower one.
    assert not options.no_web and options.num_clients == 9 and options.hatch_rate == 3.0
    assert options.master and options.master_port == 6000 and options.expect_slaves == 2


def test_variables_as_2x_documents_them(place):
    env = {"LOCUST_HOST": "http://h:8080", "LOCUST_USERS": "10", "LOCUST_HEADLESS": "true",
           "LOCUST_RUN_TIME": "30s", "LOCUST_LOCUSTFILE": "other.py", "LOCUST_LOGLEVEL": "debug",
           "LOCUST_USER_CLASSES": "A B"}
    options = parse(env=env)
    assert options.host == "http://h:8080" and options.num_clients == 10 and options.no_web
    assert options.run_time == 30 and options.locustfile == "other.py"
    assert options.loglevel == "DEBUG" and options.locust_classes == ["A", "B"]
    assert parse(["C"], env=env).locust_classes == ["C"]


def test_lists_and_repeatable_options(place):
    cwd, _home = place
    write(cwd / "locust.conf", """
        threshold = p95<500ms
        threshold = fail_ratio<1%
        """)
    assert parse().thresholds == ["p95<500ms", "fail_ratio<1%"]
    write(cwd / "pyproject.toml", """
        [tool.locust]
        threshold = ["GET /a:p99<800", "rps>=2"]
        """)
    assert parse().thresholds == ["GET /a:p99<800", "rps>=2"]
    env = {"LOCUST_THRESHOLD": "[max<9, requests>1]"}
    assert parse(env=env).thresholds == ["max<9", "requests>1"]
    # The command line replaces the list of the sources below it.
    assert parse(["--threshold", "p50<1", "--threshold", "p75<2"], env=env).thresholds == \
        ["p50<1", "p75<2"]


def test_master_and_worker_are_one_choice(place):
    cwd, _home = place
    write(cwd / "locust.conf", "master = true\nprocesses = 4\n")
    options = parse(["--worker", "--processes", "0"])
    assert options.slave and not options.master and options.processes == 0
    options = parse(env={"LOCUST_MODE_WORKER": "true"})
    assert options.slave and not options.master
    assert parse().master and not parse().slave


def test_lenient_first_pass_skips_unknown_keys(place):
    cwd, _home = place
    write(cwd / "locust.conf", "my-own-option = 5\nusers = 3\n")
    assert parse(strict=False).num_clients == 3
    with pytest.raises(CommandLineError):
        parse()


def test_custom_options_take_part(place):
    cwd, _home = place
    write(cwd / "locust.conf", "my-setting = from-file\n")
    parser = create_parser()
    action = parser.add_argument("--my-setting", default="default", env_var="MY_SETTING",
                                 include_in_web_ui=True, is_secret=True)
    assert action.is_secret and action.include_in_web_ui
    assert parse_options([], environ={}, parser=parser)[1].my_setting == "from-file"
    parser = create_parser()
    parser.add_argument("--my-setting", default="default", env_var="MY_SETTING")
    assert parse_options([], environ={"MY_SETTING": "env"}, parser=parser)[1].my_setting == "env"


# -------------------------------------------------------------- bad input

@pytest.mark.parametrize("name, text, needle", [
    ("locust.conf", "userz = 3\n", "locust.conf:1: unknown key 'userz' (userz = 3) (did you mean users?)"),
    ("locust.conf", "\nusers = many\n", "locust.conf:2: bad value for users: users = many: invalid integer"),
    ("locust.conf", "headless = maybe\n", "headless = maybe: expected true or false"),
    ("pyproject.toml", "[tool.locust]\nrun-time = \"soon\"\n", "pyproject.toml: bad value for run-time"),
    ("pyproject.toml", "[tool.locust]\nheadles = true\n", "unknown key 'headles' (headles = true)"),
    ("pyproject.toml", "[tool.locust\n", "pyproject.toml: not valid TOML"),
])
def test_bad_files_exit_2_naming_file_key_and_value(place, name, text, needle):
    cwd, _home = place
    write(cwd / name, text)
    with pytest.raises(CommandLineError) as info:
        parse()
    assert info.value.exit_code == 2
    assert needle in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("env, needle", [
    ({"LOCUST_USERS": "abc"}, "environment variable LOCUST_USERS='abc': invalid integer"),
    ({"LOCUST_HEADLESS": "yes please"}, "LOCUST_HEADLESS='yes please': expected true or false"),
    ({"LOCUST_RUN_TIME": "3x"}, "LOCUST_RUN_TIME='3x': invalid time span"),
    ({"LOCUST_HOST": "http://127.0.0.1:99999"}, "LOCUST_HOST='http://127.0.0.1:99999': the port 99999"),
    ({"LOCUST_USERS": "1", "LOCUST_CLIENTS": "2"}, "set the same option differently"),
])
def test_bad_variables_exit_2(place, env, needle):
    with pytest.raises(CommandLineError) as info:
        parse(env=env)
    assert info.value.exit_code == 2 and needle in str(info.value)


def test_missing_config_file(place):
    with pytest.raises(CommandLineError) as info:
        parse(["--config", "nope.conf"])
    assert info.value.exit_code == 2
    assert "could not read the configuration file nope.conf" in str(info.value)


def test_csv_full_history_needs_csv(place):
    cwd, _home = place
    write(cwd / "locust.conf", "csv-full-history = true\n")
    with pytest.raises(CommandLineError, match="locust.conf: csv-full-history: needs --csv"):
        parse()


# ------------------------------------------------------------------- help

def test_help_groups_examples_and_exit_codes(tmp_path):
    result = run_locust(["--help"], tmp_path)
    assert result.returncode == 0
    out = result.stdout
    titles = ["Common options:", "Web UI options:", "Distributed options:",
              "Statistics and report options:", "Logging options:", "Threshold options:",
              "Other options:", "Locust classes:", "Examples:", "Exit status:"]
    positions = [out.index(title) for title in titles]
    assert positions == sorted(positions)
    for flag in ("--headless, --no-web", "-u N, --users N, -c N, --clients N", "--threshold EXPR",
                 "--json-file FILE", "--csv-full-history", "--exit-code-on-error N",
                 "--worker, --slave", "--expect-workers N, --expect-slaves N"):
        assert flag in out, flag
    assert "3  a threshold was crossed" in out and "LOCUST_HEADLESS=true" in out


@pytest.mark.parametrize("typo, suggestion", [
    ("--hedless", "--headless"), ("--thresold", "--threshold"), ("--spawnrate", "--spawn-rate")])
def test_a_mistyped_option_gets_a_suggestion(tmp_path, typo, suggestion):
    (tmp_path / "locustfile.py").write_text("from locust import Locust\n")
    result = run_locust([typo], tmp_path)
    assert result.returncode == 2
    assert "unrecognized arguments: %s (did you mean %s?)" % (typo, suggestion) in result.stderr
    assert_one_clean_line(result)


# ----------------------------------------------------------- real runs

LOCUSTFILE = '''
from locust import HttpLocust, TaskSet, task

class T(TaskSet):
    @task
    def index(self):
        self.client.get("/")

class U(HttpLocust):
    task_set = T
    min_wait = 10
    max_wait = 50
'''


def test_headless_from_variables_alone_does_not_hang(tmp_path, counting_target):
    (tmp_path / "locustfile.py").write_text(LOCUSTFILE)
    env = locust_env(LOCUST_HEADLESS="true", LOCUST_USERS="2", LOCUST_SPAWN_RATE="100",
                     LOCUST_RUN_TIME="2s", LOCUST_HOST=counting_target.url,
                     LOCUST_CSV=str(tmp_path / "env"), HOME=str(tmp_path))
    result = run_locust([], tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    requests, failures = csv_total(tmp_path / "env")
    assert requests == counting_target.count > 0 and failures == 0


def test_locust_conf_names_the_locustfile(tmp_path, counting_target):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "load.py").write_text(LOCUSTFILE)
    write(tmp_path / "locust.conf", """
        locustfile = tests/load.py
        headless = true
        users = 2
        spawn-rate = 100
        run-time = 2s
        host = %s
        csv = conf
        """ % counting_target.url)
    result = run_locust([], tmp_path, env=locust_env(HOME=str(tmp_path)))
    assert result.returncode == 0, result.stderr
    requests, _failures = csv_total(tmp_path / "conf")
    assert requests == counting_target.count > 0


def test_pyproject_and_config_file_in_a_real_run(tmp_path, counting_target):
    (tmp_path / "locustfile.py").write_text(LOCUSTFILE)
    write(tmp_path / "pyproject.toml", """
        [tool.locust]
        headless = true
        users = 2
        spawn-rate = 100
        run-time = "1m"
        host = "%s"
        """ % counting_target.url)
    write(tmp_path / "ci.conf", "run-time = 2s\ncsv = ci\n")
    result = run_locust(["--config", "ci.conf"], tmp_path, env=locust_env(HOME=str(tmp_path)))
    assert result.returncode == 0, result.stderr
    assert "Time limit reached" in result.stderr
    requests, _failures = csv_total(tmp_path / "ci")
    assert requests == counting_target.count > 0


def test_an_option_the_locustfile_adds_comes_from_a_file_or_variable(tmp_path, counting_target):
    (tmp_path / "locustfile.py").write_text(LOCUSTFILE + textwrap.dedent('''
        from locust import events
        if not hasattr(events, "init_command_line_parser"):
            events.init_command_line_parser = events.EventHook()

        def add_options(parser, **_kw):
            parser.add_argument("--greeting", default="none", env_var="GREETING_TEXT",
                                include_in_web_ui=False)
            parser.add_argument("--volume", type=int, default=0)

        events.init_command_line_parser += add_options

        def show(**_kw):
            from locust import runners
            print("greeting=%s volume=%s" % (runners.locust_runner.options.greeting,
                                             runners.locust_runner.options.volume))
        events.quitting += show
    '''))
    write(tmp_path / "locust.conf", "greeting = from-the-file\nvolume = 3\n")
    args = ["--headless", "-u", "1", "-t", "1s", "-H", counting_target.url, "--only-summary"]
    result = run_locust(args, tmp_path, env=locust_env(HOME=str(tmp_path)))
    assert result.returncode == 0, result.stderr
    assert "greeting=from-the-file volume=3" in result.stdout
    result = run_locust(args + ["--volume", "4"], tmp_path,
                        env=locust_env(HOME=str(tmp_path), GREETING_TEXT="hello"))
    assert "greeting=hello volume=4" in result.stdout
    help_text = run_locust(["--help"], tmp_path).stdout
    assert "--greeting" not in help_text  # --help does not import the locustfile, as in 2.x
    result = run_locust(args + ["--volume", "loud"], tmp_path, env=locust_env(HOME=str(tmp_path)))
    assert result.returncode == 2 and "argument --volume: invalid int value" in result.stderr
    write(tmp_path / "locust.conf", "volumes = 3\n")
    result = run_locust(args, tmp_path, env=locust_env(HOME=str(tmp_path)))
    assert result.returncode == 2
    assert "locust.conf:1: unknown key 'volumes' (volumes = 3) (did you mean volume?)" in result.stderr
