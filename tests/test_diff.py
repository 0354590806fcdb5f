"""diff_tables: added, removed, changed (value / reference), renamed, pinned, and the fixture."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dssync._diff.engine import diff_tables
from dssync._diff.renames import similarity
from dssync._extract.extract import extract_table
from dssync.models import UNRESOLVED, Changed, Placement

FIXTURES = Path(__file__).parent / "fixtures" / "ds_like"


def table(source: str, path: str):
    return extract_table(textwrap.dedent(source).encode("utf-8"), path)


def diff(old: str, new: str, **kwargs):
    return diff_tables(table(old, "old.py"), table(new, "new.py"), **kwargs)


def names(items) -> list[str]:
    return [i.name for i in items]


# --- basics --------------------------------------------------------------------------------


def test_identical_modules_have_no_drift():
    source = "A = 1\nB = [A, 'x']\nclass K:\n    C = B\n"
    drift = diff(source, source)
    assert not drift.has_drift
    assert (drift.added, drift.removed, drift.changed, drift.renamed, drift.pinned) == ([], [], [], [], [])
    assert (drift.vendored, drift.upstream) == ("old.py", "new.py")


def test_labels_can_be_given():
    drift = diff_tables(table("A = 1\n", "x"), table("A = 1\n", "y"), vendored="vendor/c.py",
                        upstream="v0.9.0:pkg/c.py")
    assert (drift.vendored, drift.upstream) == ("vendor/c.py", "v0.9.0:pkg/c.py")


def test_added_and_removed_carry_value_line_and_source_in_source_order():
    drift = diff("""\
        KEEP = 1
        GONE_B = 'b'
        GONE_A = [1,
                  2]
    """, """\
        NEW_Z = {'z': 1}
        KEEP = 1

        NEW_A = "a"
    """)
    assert [(a.name, a.value, a.line, a.source) for a in drift.added] == [
        ("NEW_Z", "{'z': 1}", 1, "{'z': 1}"), ("NEW_A", "'a'", 4, '"a"')]
    assert [(r.name, r.value, r.line, r.source) for r in drift.removed] == [
        ("GONE_B", "'b'", 2, "'b'"), ("GONE_A", "[1, 2]", 3, "[1,\n          2]")]
    assert drift.changed == [] and drift.has_drift


def test_value_change():
    drift = diff("A = 1\nB = 'x'\n", "A = 2\nB = 'x'\n")
    assert drift.changed == [Changed(name="A", kind="value", old="1", new="2", old_line=1, new_line=1,
                                     old_source="1", new_source="2", old_resolved=1, new_resolved=2,
                                     details=None, old_written="1", new_written="2")]


def test_reference_change_when_only_a_referenced_constant_changed():
    drift = diff("""\
        SPARSE_FIXED_MODE = "fixed"
        SPARSE_MODE_DEFAULT = SPARSE_FIXED_MODE
        DERIVED = SPARSE_MODE_DEFAULT + "-mode"
        UNRELATED = 1
    """, """\
        SPARSE_FIXED_MODE = "fixed_v2"
        SPARSE_MODE_DEFAULT = SPARSE_FIXED_MODE
        DERIVED = SPARSE_MODE_DEFAULT + "-mode"
        UNRELATED = 1
    """)
    assert [(c.name, c.kind) for c in drift.changed] == [
        ("SPARSE_FIXED_MODE", "value"), ("SPARSE_MODE_DEFAULT", "reference"), ("DERIVED", "reference")]
    ref = drift.changed[1]
    assert (ref.old, ref.new) == ("SPARSE_FIXED_MODE", "SPARSE_FIXED_MODE")
    assert (ref.old_resolved, ref.new_resolved) == ("fixed", "fixed_v2")
    assert drift.changed[2].new_resolved == "fixed_v2-mode"


def test_reference_change_through_a_class_attribute():
    drift = diff("""\
        class ValidationMode:
            WARN = "WARN"
        DEFAULT = ValidationMode.WARN
    """, """\
        class ValidationMode:
            WARN = "warn"
        DEFAULT = ValidationMode.WARN
    """)
    assert [(c.name, c.kind) for c in drift.changed] == [("ValidationMode.WARN", "value"),
                                                         ("DEFAULT", "reference")]


def test_a_type_change_of_a_referenced_value_is_a_reference_change():
    drift = diff("A = 1\nB = A\n", "A = True\nB = A\n")
    assert [(c.name, c.kind) for c in drift.changed] == [("A", "value"), ("B", "reference")]


def test_a_type_change_inside_a_container_is_a_reference_change():
    drift = diff("A = 1\nB = [A]\n", "A = True\nB = [A]\n")
    assert [(c.name, c.kind) for c in drift.changed] == [("A", "value"), ("B", "reference")]


def test_a_constant_becoming_unresolvable_is_not_a_reference_change():
    drift = diff("A = 1\nB = A\n", "A = compute()\nB = A\n")
    assert [(c.name, c.kind) for c in drift.changed] == [("A", "value")]


def test_unresolved_values_compare_by_normalized_source():
    drift = diff("""\
        import os
        HOME = os.path.join('outputs', 'checkpoints')
        WAIT = timedelta(minutes=5)
    """, """\
        import os
        HOME = os.path.join(
            "outputs",
            "checkpoints",
        )
        WAIT = timedelta(minutes=10)
    """)
    assert [(c.name, c.kind, c.old, c.new) for c in drift.changed] == [
        ("WAIT", "value", "timedelta(minutes=5)", "timedelta(minutes=10)")]
    assert drift.changed[0].old_resolved is UNRESOLVED and drift.changed[0].details is None


def test_formatting_only_edits_are_not_changes():
    drift = diff("""\
        # vendored header
        A = 'x'
        B = [
            1,
            2,  # two
        ]
        C = {"k": (1, 2)}
        D = "a" "b"
        E = 0x10
        F = (
            'multi'
            'part'
        )
    """, '''\
        """Upstream header."""

        A = "x"
        B = [1, 2]

        C = {
            'k': (1, 2,),
        }
        D = "ab"
        E = 16
        F = "multipart"
    ''')
    assert not drift.has_drift


def test_an_augment_difference_is_a_change():
    drift = diff("PATHS = ['a']\nPATHS += ['b']\n", "PATHS = ['a']\nPATHS += ['c']\n")
    [change] = drift.changed
    assert (change.name, change.kind) == ("PATHS", "value")
    assert change.old == "['a'] += ['b']" and change.new == "['a'] += ['c']"
    assert (change.old_resolved, change.new_resolved) == (["a", "b"], ["a", "c"])


def test_a_winning_conditional_binding_is_compared():
    drift = diff("if X:\n    A = 1\nelse:\n    A = 2\n", "if X:\n    A = 1\nelse:\n    A = 3\n")
    assert [(c.name, c.old, c.new) for c in drift.changed] == [("A", "2", "3")]


def test_line_numbers_of_changes_are_on_each_side():
    drift = diff("A = 1\n", "\n\n# moved down\nA = 2\n")
    assert (drift.changed[0].old_line, drift.changed[0].new_line) == (1, 4)


def test_changed_list_is_in_source_order():
    drift = diff("C = 1\nA = 1\nB = 1\n", "B = 2\nC = 2\nA = 2\n")
    assert names(drift.changed) == ["C", "A", "B"]


# --- details -------------------------------------------------------------------------------


def test_container_changes_carry_path_level_details():
    drift = diff("""\
        ZERO = {
            "zero_optimization": {"stage": 2, "offload": ["cpu"]},
            "old_key": 1,
        }
    """, """\
        ZERO = {
            "zero_optimization": {"stage": 3, "offload": ["cpu", "nvme"]},
            "new_key": 2,
        }
    """)
    [change] = drift.changed
    assert change.details == (
        "root['new_key'] added: 2",
        "root['old_key'] removed: 1",
        "root['zero_optimization']['offload'][1] added: 'nvme'",
        "root['zero_optimization']['stage']: 2 -> 3",
    )


def test_details_for_lists_sets_and_type_changes():
    drift = diff("L = [1, 2, 3]\nS = {1, 2}\nT = {'a': 1}\n", "L = [1, 5, 3]\nS = {2, 3}\nT = {'a': '1'}\n")
    details = {c.name: c.details for c in drift.changed}
    assert details["L"] == ("root[1]: 2 -> 5",)
    assert sorted(details["S"]) == ["root[1] removed", "root[3] added"]
    assert details["T"] == ("root['a']: 1 -> '1'",)


def test_details_of_a_reference_change_in_a_container():
    drift = diff("STAGE = 2\nCFG = {'zero_optimization': {'stage': STAGE}}\n",
                 "STAGE = 3\nCFG = {'zero_optimization': {'stage': STAGE}}\n")
    cfg = drift.changed[1]
    assert (cfg.name, cfg.kind) == ("CFG", "reference")
    assert cfg.details == ("root['zero_optimization']['stage']: 2 -> 3",)


def test_multi_line_text_changes_carry_changed_lines():
    drift = diff("HELP = '''\nfirst\n  \"power\": 32,\nlast\n'''\n",
                 "HELP = '''\nfirst\n  \"power\": 16,\nlast\n'''\n")
    assert drift.changed[0].details == ('-  "power": 32,', '+  "power": 16,')


def test_scalars_and_unresolved_values_have_no_details():
    drift = diff("A = 1\nB = 'x'\nC = f(1)\n", "A = 2\nB = 'y'\nC = f(2)\n")
    assert [c.details for c in drift.changed] == [None, None, None]


def test_values_deepdiff_cannot_compare_are_a_plain_change():
    """deepdiff raised TypeError on bytes keys (issue 15, finding 6): the change is still
    reported, without path-level details."""
    drift = diff("X = {b'a': 1}\nY = {(b'k', 1): {b'z': [1]}}\nZ = [{b'a': 1}]\n",
                 "X = {b'a': 2}\nY = {(b'k', 1): {b'z': [2]}}\nZ = [{b'a': 2}]\n")
    assert [(c.name, c.old_resolved, c.new_resolved) for c in drift.changed] == [
        ("X", {b"a": 1}, {b"a": 2}), ("Y", {(b"k", 1): {b"z": [1]}}, {(b"k", 1): {b"z": [2]}}),
        ("Z", [{b"a": 1}], [{b"a": 2}])]
    assert all(c.details is None for c in drift.changed)


def test_details_are_capped():
    old = "BIG = [" + ", ".join(str(i) for i in range(200)) + "]\n"
    new = "BIG = [" + ", ".join(str(-i - 1) for i in range(200)) + "]\n"
    details = diff(old, new).changed[0].details
    assert len(details) == 51 and details[-1] == "... and 150 more"


# --- renames -------------------------------------------------------------------------------


def test_same_value_similar_name_is_a_rename():
    drift = diff("KEEP = 0\nFP16_LOSS_WINDOW = 1000\n", "KEEP = 0\n\nFP16_LOSS_SCALE_WINDOW = 1000\n")
    [r] = drift.renamed
    assert (r.old_name, r.new_name, r.value, r.old_line, r.new_line) == (
        "FP16_LOSS_WINDOW", "FP16_LOSS_SCALE_WINDOW", "1000", 2, 3)
    assert r.similarity == round(similarity("FP16_LOSS_WINDOW", "FP16_LOSS_SCALE_WINDOW"), 3)
    assert r.similarity >= 0.6
    assert drift.added == [] and drift.removed == [] and drift.has_drift


def test_a_rename_matches_resolved_values_even_when_the_source_differs():
    drift = diff("BASE = 'x'\nCHECKPOINT_DIR = BASE + '/a'\n", "BASE = 'x'\nCHECKPOINT_DIR_PATH = 'x/a'\n")
    assert [(r.old_name, r.new_name) for r in drift.renamed] == [("CHECKPOINT_DIR", "CHECKPOINT_DIR_PATH")]


def test_unresolved_values_rename_by_normalized_source():
    drift = diff("HOME_DIR = os.path.join('a', 'b')\n",
                 "HOME_DIR_PATH = os.path.join(\n    'a',\n    'b',\n)\n")
    assert [(r.old_name, r.new_name) for r in drift.renamed] == [("HOME_DIR", "HOME_DIR_PATH")]


def test_name_similarity_is_measured_in_words():
    # fp, 16, loss, scale vs. the same plus value: 2 * 4 / 9
    assert similarity("FP16_LOSS_SCALE", "FP16_LOSS_SCALE_VALUE") == pytest.approx(8 / 9)
    assert similarity("ValidationMode.WARN", "VALIDATION_MODE_WARN") == 1.0
    assert similarity("AMP_ENABLED_DEFAULT", "TORCH_AUTOCAST_ENABLED_DEFAULT") < 0.6
    drift = diff("AMP_ENABLED_DEFAULT = 'on'\n", "TORCH_AUTOCAST_ENABLED_DEFAULT = 'on'\n")
    assert drift.renamed == []


def test_dissimilar_names_are_not_a_rename():
    drift = diff("SCHEDULER = 'params'\n", "OPTIMIZER_PARAMS = 'params'\n")
    assert similarity("SCHEDULER", "OPTIMIZER_PARAMS") < 0.6
    assert drift.renamed == []
    assert names(drift.removed) == ["SCHEDULER"] and names(drift.added) == ["OPTIMIZER_PARAMS"]


def test_different_values_are_not_a_rename():
    drift = diff("LOSS_SCALE_WINDOW = 10\n", "LOSS_SCALE_WINDOW_SIZE = 11\n")
    assert drift.renamed == [] and names(drift.removed) == ["LOSS_SCALE_WINDOW"]


@pytest.mark.parametrize(("value", "renamed"), [("5", True), ("'x'", True), ("True", False),
                                                ("None", False), ("0", False), ("[]", False)])
def test_common_values_demand_more_similar_names(value, renamed):
    assert 0.6 <= similarity("LOSS_SCALE_X", "LOSS_SCALE_Y") < 0.75
    drift = diff(f"LOSS_SCALE_X = {value}\n", f"LOSS_SCALE_Y = {value}\n")
    assert bool(drift.renamed) is renamed
    # Very similar names are a rename whatever the value.
    assert diff(f"ZERO_STAGE_DEFAULT = {value}\n", f"ZERO_STAGE_DEFAULT_VALUE = {value}\n").renamed


def test_ambiguous_candidates_are_not_renames():
    # Two added names equally similar to one removed name.
    drift = diff("LOSS_SCALE_X = 5\n", "LOSS_SCALE_Y = 5\nLOSS_SCALE_Z = 5\n")
    assert drift.renamed == []
    assert names(drift.removed) == ["LOSS_SCALE_X"] and names(drift.added) == ["LOSS_SCALE_Y", "LOSS_SCALE_Z"]
    # Two removed names equally similar to one added name.
    drift = diff("LOSS_SCALE_Y = 5\nLOSS_SCALE_Z = 5\n", "LOSS_SCALE_X = 5\n")
    assert drift.renamed == [] and len(drift.removed) == 2


def test_a_rename_must_be_the_mutual_best():
    old = "ZERO_STAGE_DEFAULT = 5\nZERO_STAGE = 5\n"
    new = "ZERO_STAGE_DEFAULT_VALUE = 5\n"
    assert similarity("ZERO_STAGE", "ZERO_STAGE_DEFAULT_VALUE") >= 0.6
    drift = diff(old, new)
    # Both old names qualify; the added one is closer to ZERO_STAGE_DEFAULT, so only it is renamed.
    assert [(r.old_name, r.new_name) for r in drift.renamed] == [("ZERO_STAGE_DEFAULT", "ZERO_STAGE_DEFAULT_VALUE")]
    assert names(drift.removed) == ["ZERO_STAGE"] and drift.added == []


def test_renames_can_be_turned_off():
    assert diff("OLD_NAME_X = 5\n", "OLD_NAME_Y = 5\n").renamed
    drift = diff("OLD_NAME_X = 5\n", "OLD_NAME_Y = 5\n", renames=False)
    assert drift.renamed == [] and names(drift.removed) == ["OLD_NAME_X"]
    assert names(drift.added) == ["OLD_NAME_Y"]


def test_a_rename_never_crosses_scopes():
    # Two policy classes 446 lines apart that both hold ``_orig_layer_class = None`` (DeepSpeed's
    # replace_policy.py, 0.6.7 -> 0.7.6): the constant went from one class, and the other class
    # is new, not the first one renamed.
    old = """\
        class HFGPTNEOLayerPolicy(DSPolicy):
            _orig_layer_class = None

            def attention(self):
                return self.client_module.attn
        """
    new = """\
        class HFGPTNEOLayerPolicy(TransformerPolicy):
            def attention(self):
                return self.client_module.attn


        class HFOPTLayerPolicy(TransformerPolicy):
            _orig_layer_class = None

            def attention(self):
                return self.client_module.self_attn
        """
    drift = diff(old, new, modules=(old.encode(), new.encode()))
    assert drift.renamed == [] and drift.renamed_classes == []
    assert names(drift.removed) == ["HFGPTNEOLayerPolicy._orig_layer_class"]
    assert names(drift.added) == ["HFOPTLayerPolicy._orig_layer_class"]
    # Module level and class level are two scopes too, even for one name and one value.
    drift = diff("MODEL_PARALLEL_SIZE = 'mp'\n", "class Keys:\n    MODEL_PARALLEL_SIZE = 'mp'\n")
    assert drift.renamed == [] and names(drift.added) == ["Keys.MODEL_PARALLEL_SIZE"]
    drift = diff("class A:\n    LOSS_SCALE_WINDOW = 5\n", "class B:\n    LOSS_SCALE_WINDOW_SIZE = 5\n")
    assert drift.renamed == []


def test_a_rename_within_one_class_is_found_and_judged_on_the_names_within_it():
    drift = diff("class BaseOp:\n    inference_cuda_module = None\n    x = 1\n",
                 "class BaseOp:\n    inference_module = None\n    x = 1\n")
    assert [(r.old_name, r.new_name) for r in drift.renamed] == [
        ("BaseOp.inference_cuda_module", "BaseOp.inference_module")]
    # The shared class words would lift any pair over the bar; only the words within count.
    assert similarity("DeepSpeedZeroOptimizer.LOSS_SCALE", "DeepSpeedZeroOptimizer.SEED") >= 0.6
    drift = diff("class DeepSpeedZeroOptimizer:\n    LOSS_SCALE = 7\n",
                 "class DeepSpeedZeroOptimizer:\n    SEED = 7\n")
    assert drift.renamed == [] and names(drift.removed) == ["DeepSpeedZeroOptimizer.LOSS_SCALE"]


TRACE_MODE = """\
    import enum


    @enum.unique
    class {name}(enum.Enum):
        \"\"\"Where the trace stands.\"\"\"
        RECORD = 1
        COMPLETE = 2
        INVALID = 3

        def restart(self):
            return {name}.RECORD if self is not {name}.INVALID else super({name}, self).restart()


    MODE_DEFAULT = "record"
    """


def class_pair(old_name: str, new_name: str, *, new_tail: str = "", old_tail: str = "",
               edit=lambda text: text):
    old = textwrap.dedent(TRACE_MODE.format(name=old_name)) + old_tail
    new = edit(textwrap.dedent(TRACE_MODE.format(name=new_name))) + new_tail
    return diff_tables(table(old, "old.py"), table(new, "new.py"),
                       modules=(old.encode(), new.encode()))


def test_a_class_renamed_as_a_whole_is_one_finding():
    # Comments and formatting aside, the class is the same but for its name, which it also
    # uses inside (TraceMode.RECORD, super(TraceMode, self)).
    drift = class_pair("TraceMode", "ZeRoTraceMode",
                       edit=lambda text: text.replace("RECORD = 1", "RECORD = (  1 )  # first")
                       .replace('"record"', "'record'"))
    [c] = drift.renamed_classes
    assert (c.old_name, c.new_name, c.old_line, c.new_line) == ("TraceMode", "ZeRoTraceMode", 5, 5)
    assert c.constants == ("RECORD", "COMPLETE", "INVALID")
    assert (drift.added, drift.removed, drift.changed, drift.renamed) == ([], [], [], [])
    assert drift.has_drift and drift.counts()["renamed_classes"] == 1
    # Without the modules' text the bodies cannot be compared: the constants stay as they are.
    plain = diff_tables(drift_table("TraceMode"), drift_table("ZeRoTraceMode"))
    assert plain.renamed_classes == [] and len(plain.removed) == len(plain.added) == 3
    assert plain.renamed == []  # and no constant of one class is "renamed" into the other
    assert class_pair("TraceMode", "ZeRoTraceMode", edit=lambda t: t).renamed_classes
    off = diff_tables(drift_table("TraceMode"), drift_table("ZeRoTraceMode"), renames=False,
                      modules=(b"", b""))
    assert off.renamed_classes == []


def test_what_stays_added_beside_a_class_rename_is_placed_and_shown_as_written():
    # The class's constants are neither added nor placed; the constant upstream added beside it
    # carries where update puts it and its value as written.
    drift = class_pair("TraceMode", "ZeRoTraceMode", new_tail="TRACE_LIMIT = 0x40\n")
    assert [c.new_name for c in drift.renamed_classes] == ["ZeRoTraceMode"]
    [added] = drift.added
    assert (added.name, added.value, added.shown) == ("TRACE_LIMIT", "64", "0x40")
    assert added.placement == Placement(15, "after", "MODE_DEFAULT")
    assert diff_tables(table("A = 1\n", "old.py"), table("A = 1\nB = 2\n", "new.py"),
                       place_added=False).added[0].placement is None


def drift_table(name: str):
    return table(TRACE_MODE.format(name=name), f"{name}.py")


@pytest.mark.parametrize("edit", [
    pytest.param(lambda t: t.replace("return ", "return None or "), id="a method changed"),
    pytest.param(lambda t: t.replace("@enum.unique\n", ""), id="a decorator dropped"),
    pytest.param(lambda t: t.replace("(enum.Enum)", "(enum.IntEnum)"), id="another base"),
    pytest.param(lambda t: t.replace("Where the trace", "Where a trace"), id="the docstring changed"),
    pytest.param(lambda t: t.replace("INVALID = 3", "INVALID = 4"), id="a value changed"),
    pytest.param(lambda t: t.replace("    INVALID = 3\n", ""), id="a constant dropped"),
    pytest.param(lambda t: t.replace("COMPLETE = 2", "DONE = 2"), id="a constant renamed"),
])
def test_a_class_whose_body_changed_is_not_renamed_as_a_whole(edit):
    drift = class_pair("TraceMode", "ZeRoTraceMode", edit=edit)
    assert drift.renamed_classes == [] and drift.renamed == []
    assert {r.name.partition(".")[0] for r in drift.removed} == {"TraceMode"}
    assert {a.name.partition(".")[0] for a in drift.added} == {"ZeRoTraceMode"}


def test_a_class_that_stays_or_existed_before_is_not_renamed():
    # The old class is still there upstream (without constants): the new one is another class.
    still = "\nclass TraceMode:\n    pass\n"
    assert class_pair("TraceMode", "ZeRoTraceMode", new_tail=still).renamed_classes == []
    # The new class already existed in the vendored copy (without constants).
    before = "\nclass ZeRoTraceMode:\n    pass\n"
    assert class_pair("TraceMode", "ZeRoTraceMode", old_tail=before).renamed_classes == []


def test_two_classes_that_fit_are_not_guessed_between():
    twin = textwrap.dedent(TRACE_MODE.format(name="OtherMode")).replace("import enum\n", "")
    drift = class_pair("TraceMode", "ZeRoTraceMode", new_tail=twin)
    assert drift.renamed_classes == [] and len(drift.added) == 6


def test_a_module_that_does_not_parse_gives_no_class_renames():
    old = textwrap.dedent(TRACE_MODE.format(name="TraceMode"))
    new = textwrap.dedent(TRACE_MODE.format(name="ZeRoTraceMode"))
    drift = diff_tables(table(old, "old.py"), table(new, "new.py"), modules=(old.encode(), b"def ("))
    assert drift.renamed_classes == [] and len(drift.removed) == 3


def method_pair(old_body: str, new_body: str):
    """A class with one constant and one method, renamed from Old to New upstream; ``NAME`` in a
    body stands for the class's own name on each side."""
    def module(name: str, body: str) -> str:
        method = textwrap.indent(body.replace("NAME", name), " " * 8)
        return f"class {name}:\n    A = 1\n\n    def run(self, x, y, other):\n{method}\n"
    old, new = module("Old", old_body), module("New", new_body)
    return diff_tables(table(old, "old.py"), table(new, "new.py"), modules=(old.encode(), new.encode()))


@pytest.mark.parametrize(("old_body", "new_body"), [
    pytest.param("if x:\n    return 1\nelif y:\n    return 2",
                 "if x:\n    return 1\nelse:\n    if y:\n        return 2",
                 id="elif is else-if"),
    pytest.param("a = 1; b = 2\nreturn a + b", "a = 1\nb = 2\nreturn (a + b)", id="statements laid out anew"),
    pytest.param("return [0x10,\n        2]  # two", "return [16, 2]", id="a literal spelt anew, re-wrapped"),
    pytest.param('return f"{NAME.A!r:>{x}}"', "return f'{NAME.A!r:>{x}}'", id="its own name in an f-string"),
    pytest.param("return NAME(x)", "return NAME(x)", id="its own name called"),
])
def test_a_class_whose_layout_alone_changed_is_renamed_as_a_whole(old_body, new_body):
    # The shape of a statement is what Python's syntax tree says of it (dssync._extract.shape).
    [c] = method_pair(old_body, new_body).renamed_classes
    assert (c.old_name, c.new_name, c.constants) == ("Old", "New", ("A",))


@pytest.mark.parametrize(("old_body", "new_body"), [
    pytest.param("return other.Old", "return other.New", id="an attribute of that name"),
    pytest.param("return 'Old'", "return 'New'", id="a string holding the name"),
    pytest.param("return x(Old=1)", "return x(New=1)", id="a keyword argument of that name"),
    pytest.param("if x:\n    return 1\nelif y:\n    return 2", "if x:\n    return 1\nelif x:\n    return 2",
                 id="another test"),
])
def test_a_name_that_is_not_the_class_itself_is_no_rename(old_body, new_body):
    drift = method_pair(old_body, new_body)
    assert drift.renamed_classes == [] and [r.name for r in drift.removed] == ["Old.A"]


# --- pins ----------------------------------------------------------------------------------


def test_pins_are_reported_not_drift():
    drift = diff("A = 1\nLOCAL_ONLY = 'x'\nB = 2\n", "A = 1\nB = 3\nUPSTREAM_ONLY = 4\n",
                 pins={"B": "we need 2", "LOCAL_ONLY": "ours", "UPSTREAM_ONLY": "not wanted"})
    assert not drift.has_drift
    assert drift.changed == [] and drift.added == [] and drift.removed == []
    pins = {p.name: p for p in drift.pinned}
    assert (pins["B"].local, pins["B"].upstream, pins["B"].line, pins["B"].drifted) == ("2", "3", 3, True)
    assert pins["B"].reason == "we need 2"
    assert (pins["LOCAL_ONLY"].upstream, pins["LOCAL_ONLY"].drifted) == (None, True)
    assert (pins["UPSTREAM_ONLY"].local, pins["UPSTREAM_ONLY"].line) == (None, 0)
    assert [p.line for p in drift.pinned] == sorted(p.line for p in drift.pinned)


def test_a_pin_that_now_equals_upstream_is_not_drifted():
    drift = diff("B = [1,\n  2]\n", "B = [1, 2]\n", pins={"B": "old bug"})
    [pin] = drift.pinned
    assert not pin.drifted and pin.local == pin.upstream == "[1, 2]"


def test_a_pin_on_a_reference_sees_reference_changes():
    drift = diff("A = 1\nB = A\n", "A = 2\nB = A\n", pins={"B": "tracks A"})
    assert drift.pinned[0].drifted
    assert names(drift.changed) == ["A"]


def test_pins_do_not_hide_other_drift():
    drift = diff("A = 1\nB = 2\n", "A = 5\nB = 3\n", pins={"B": "x"})
    assert names(drift.changed) == ["A"] and drift.has_drift


# --- the DeepSpeed-like fixture ------------------------------------------------------------


def _line_of(fixture: str, prefix: str) -> int:
    lines = (FIXTURES / fixture).read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.startswith(prefix))


@pytest.fixture(scope="module")
def ds_drift():
    old = extract_table((FIXTURES / "old_constants.py").read_bytes(), "old_constants.py")
    new = extract_table((FIXTURES / "new_constants.py").read_bytes(), "new_constants.py")
    return old, new, diff_tables(old, new)


def test_fixture_added_removed_changed_sets_are_exact(ds_drift):
    _, _, drift = ds_drift
    assert names(drift.added) == [
        "ZERO_FORCE_DS_CPU_OPTIMIZER", "ZERO_FORCE_DS_CPU_OPTIMIZER_DEFAULT",
        "DATA_PARALLEL_GROUP", "DATA_PARALLEL_SIZE", "DATA_PARALLEL_SIZE_DEFAULT",
    ]
    assert names(drift.removed) == ["CURRICULUM_LEARNING", "CURRICULUM_ENABLED", "CURRICULUM_ENABLED_DEFAULT"]
    assert [(c.name, c.kind) for c in drift.changed] == [
        ("FP16_FORMAT", "value"), ("FP16_INITIAL_SCALE_POWER_DEFAULT", "value")]
    assert drift.renamed == [] and drift.pinned == []


def test_fixture_new_optimizer_flag_follows_the_untested_optimizer_default(ds_drift):
    _, new, drift = ds_drift
    anchor = new["ZERO_ALLOW_UNTESTED_OPTIMIZER_DEFAULT"].line
    added = {a.name: a for a in drift.added}
    assert added["ZERO_FORCE_DS_CPU_OPTIMIZER"].line == anchor + 1
    assert added["ZERO_FORCE_DS_CPU_OPTIMIZER_DEFAULT"].line == anchor + 2
    assert added["ZERO_FORCE_DS_CPU_OPTIMIZER_DEFAULT"].value == "True"


def test_fixture_scale_power_and_help_text(ds_drift):
    _, _, drift = ds_drift
    changed = {c.name: c for c in drift.changed}
    power = changed["FP16_INITIAL_SCALE_POWER_DEFAULT"]
    assert (power.old, power.new, power.old_resolved, power.new_resolved) == ("32", "16", 32, 16)
    help_text = changed["FP16_FORMAT"]
    assert help_text.details == ('-  "initial_scale_power": 32,', '+  "initial_scale_power": 16,')
    assert help_text.old_source.startswith("'''")
    assert (help_text.old_line, help_text.new_line) == (_line_of("old_constants.py", "FP16_FORMAT = "),
                                                        _line_of("new_constants.py", "FP16_FORMAT = "))


def test_fixture_rewrapped_validation_modes_are_not_reported(ds_drift):
    old, new, drift = ds_drift
    name = "CHECKPOINT_TAG_VALIDATION_MODES"
    assert old[name].end_line - old[name].line == 4 and new[name].end_line == new[name].line
    assert old.value_of(name) == new.value_of(name) == ["WARN", "IGNORE", "FAIL"]
    assert old.value_of("CHECKPOINT_TAG_VALIDATION_DEFAULT") == "WARN"
    reported = {c.name for c in drift.changed} | {a.name for a in drift.added} | {r.name for r in drift.removed}
    assert not reported & {name, "ValidationMode.WARN", "ValidationMode.IGNORE", "ValidationMode.FAIL",
                           "CHECKPOINT_DIR_DEFAULT", "ZERO_OPTIMIZATION_DEFAULTS", "ROUTE_TRAIN"}


def test_fixture_headers_differ_but_hold_no_constants(ds_drift):
    old_text = (FIXTURES / "old_constants.py").read_text(encoding="utf-8")
    new_text = (FIXTURES / "new_constants.py").read_text(encoding="utf-8")
    assert old_text.startswith("#") and new_text.startswith('"""')
    old, new, _ = ds_drift
    assert old.names()[0] == new.names()[0] == "ROUTE_TRAIN"
    assert old["ROUTE_TRAIN"].line != new["ROUTE_TRAIN"].line


# --- cost ----------------------------------------------------------------------------------


def _diff_in_subprocess(old: str, new: str, timeout: float) -> bool:
    """True when diffing the two sources finishes within ``timeout`` seconds."""
    code = textwrap.dedent(f"""\
        from dssync._diff.engine import diff_tables
        from dssync._extract.extract import extract_table
        diff_tables(extract_table({old.encode()!r}, "a.py"), extract_table({new.encode()!r}, "b.py"))
    """)
    try:
        subprocess.run([sys.executable, "-c", code], check=True, timeout=timeout, capture_output=True)
    except subprocess.TimeoutExpired:
        return False
    return True


def test_subprocess_timing_helper_can_succeed():
    assert _diff_in_subprocess("A = [1]\n", "A = [2]\n", timeout=30)


def test_shared_structure_cannot_make_the_diff_explode():
    source = "A0 = (1,)\n" + "".join(f"A{i} = (A{i - 1}, A{i - 1})\n" for i in range(1, 41))
    assert _diff_in_subprocess(source, source, timeout=3)


def test_details_of_a_large_container_are_cheap():
    assert _diff_in_subprocess("X = [0] * 100000\n", "X = [1] * 100000\n", timeout=3)
