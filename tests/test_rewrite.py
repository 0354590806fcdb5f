"""The constant-level merge (dssync._rewrite): placement, comments, pins, modes, file styles."""

from __future__ import annotations

import codecs
import textwrap

import pytest

from dssync._diff.engine import diff_tables
from dssync._extract.extract import extract_table
from dssync._rewrite import Selection, merge
from dssync.errors import DssyncError


def src(text: str) -> bytes:
    return textwrap.dedent(text).lstrip("\n").encode("utf-8")


def merged(vendored: str, upstream: str, **kwargs) -> str:
    return merge(src(vendored), src(upstream), **kwargs).data.decode("utf-8")


def assert_no_drift(data: bytes, upstream: bytes, pins=None) -> None:
    drift = diff_tables(extract_table(data, "after"), extract_table(upstream, "up"), pins=pins)
    assert not drift.has_drift, drift


# --- the DeepSpeed 0.7.7 -> 0.9.0 situations, offline --------------------------------------

DS_OLD = '''\
"""
Training runtime configuration keys (vendored copy).
See the upstream project for its licence.
"""

#############################################
# Optimiser settings
#############################################
ZERO_ALLOW_UNTESTED_OPTIMIZER = "zero_allow_untested_optimizer"
ZERO_ALLOW_UNTESTED_OPTIMIZER_DEFAULT = False

# Logging cadence
LOG_EVERY = "log_every"
LOG_EVERY_DEFAULT = 10

#########################################
# Half precision
#########################################
# Half precision stays off unless configured.
FP16_FORMAT = \'\'\'
Half precision is configured like this:
"fp16": {
  "enabled": true,
  "initial_scale_power": 32,
  "min_loss_scale": 1
}
\'\'\'
HALF_PRECISION = "fp16"

# The dynamic loss scaler starts at 2**power
FP16_INITIAL_SCALE_POWER = "initial_scale_power"
FP16_INITIAL_SCALE_POWER_DEFAULT = 32

DROP_RATE = "drop_rate"
DROP_RATE_DEFAULT = 0.001

#########################################
# Curriculum Learning
#########################################
CURRICULUM_LEARNING = "curriculum_learning"

CURRICULUM_ENABLED = "enabled"
CURRICULUM_ENABLED_DEFAULT = False


#########################################
# How checkpoint tags are checked
#########################################
class ValidationMode:
    WARN = "WARN"
    IGNORE = "IGNORE"
    FAIL = "FAIL"


CHECKPOINT_TAG_VALIDATION_DEFAULT = ValidationMode.WARN
CHECKPOINT_TAG_VALIDATION_MODES = [
    ValidationMode.WARN,
    ValidationMode.IGNORE,
    ValidationMode.FAIL
]

#########################################
# PIPELINE STAGES
#########################################
STAGE_REPLICATED = 'stage_replicated'
'''

DS_NEW = '''\
# Training runtime configuration keys.
# Released under the upstream licence.

# Runtime team

#############################################
# Optimiser settings
#############################################
ZERO_ALLOW_UNTESTED_OPTIMIZER = "zero_allow_untested_optimizer"
ZERO_ALLOW_UNTESTED_OPTIMIZER_DEFAULT = False
ZERO_FORCE_DS_CPU_OPTIMIZER = "zero_force_ds_cpu_optimizer"
ZERO_FORCE_DS_CPU_OPTIMIZER_DEFAULT = True

# Logging cadence
LOG_EVERY = "log_every"
LOG_EVERY_DEFAULT = 10

#########################################
# Half precision
#########################################
# Half precision stays off unless configured.
FP16_FORMAT = \'\'\'
Half precision is configured like this:
"fp16": {
  "enabled": true,
  "initial_scale_power": 16,
  "min_loss_scale": 1
}
\'\'\'
HALF_PRECISION = "fp16"

# The dynamic loss scaler starts at 2**power
FP16_INITIAL_SCALE_POWER = "initial_scale_power"
FP16_INITIAL_SCALE_POWER_DEFAULT = 16

DROP_RATE = "drop_rate"
DROP_RATE_DEFAULT = 0.001


#########################################
# How checkpoint tags are checked
#########################################
class ValidationMode:
    WARN = "WARN"
    IGNORE = "IGNORE"
    FAIL = "FAIL"


CHECKPOINT_TAG_VALIDATION_DEFAULT = ValidationMode.WARN
CHECKPOINT_TAG_VALIDATION_MODES = [ValidationMode.WARN, ValidationMode.IGNORE, ValidationMode.FAIL]

#########################################
# PIPELINE STAGES
#########################################
STAGE_REPLICATED = 'stage_replicated'

#########################################
# DATA PARALLELISM
#########################################
DATA_PARALLEL_GROUP = "data_parallel_group"
GLOBAL_RANK = "global_rank"
'''


def test_deepspeed_situations_offline():
    result = merge(DS_OLD.encode(), DS_NEW.encode(), vendored_path="v.py", upstream_path="u.py")
    text = result.data.decode()
    assert sorted(result.plan.changed) == ["FP16_FORMAT", "FP16_INITIAL_SCALE_POWER_DEFAULT"]
    assert result.plan.added == ["ZERO_FORCE_DS_CPU_OPTIMIZER", "ZERO_FORCE_DS_CPU_OPTIMIZER_DEFAULT",
                                 "DATA_PARALLEL_GROUP", "GLOBAL_RANK"]
    assert result.plan.removed == ["CURRICULUM_LEARNING", "CURRICULUM_ENABLED",
                                   "CURRICULUM_ENABLED_DEFAULT"]
    # The whole expected file: every line not named above is the vendored file's own.
    expected = (DS_OLD
                .replace('ZERO_ALLOW_UNTESTED_OPTIMIZER_DEFAULT = False\n',
                         'ZERO_ALLOW_UNTESTED_OPTIMIZER_DEFAULT = False\n'
                         'ZERO_FORCE_DS_CPU_OPTIMIZER = "zero_force_ds_cpu_optimizer"\n'
                         'ZERO_FORCE_DS_CPU_OPTIMIZER_DEFAULT = True\n')
                .replace('"initial_scale_power": 32', '"initial_scale_power": 16')
                .replace("FP16_INITIAL_SCALE_POWER_DEFAULT = 32", "FP16_INITIAL_SCALE_POWER_DEFAULT = 16")
                .replace('#########################################\n# Curriculum Learning\n'
                         '#########################################\n'
                         'CURRICULUM_LEARNING = "curriculum_learning"\n\n'
                         'CURRICULUM_ENABLED = "enabled"\nCURRICULUM_ENABLED_DEFAULT = False\n\n', "")
                + '\n#########################################\n# DATA PARALLELISM\n'
                  '#########################################\n'
                  'DATA_PARALLEL_GROUP = "data_parallel_group"\nGLOBAL_RANK = "global_rank"\n')
    assert text == expected
    assert text.startswith('"""\nTraining runtime configuration keys (vendored copy).\n'
                           'See the upstream project for its licence.\n"""\n')
    assert "CHECKPOINT_TAG_VALIDATION_MODES = [\n    ValidationMode.WARN," in text
    assert "DROP_RATE_DEFAULT = 0.001\n\n\n#########################################\n# How checkpoint tags" in text
    assert_no_drift(result.data, DS_NEW.encode())
    again = merge(result.data, DS_NEW.encode())
    assert again.plan.empty and again.data is result.data


# --- changed values ------------------------------------------------------------------------


def test_changed_value_keeps_target_annotation_spacing_and_trailing_comment():
    out = merged("""
        A: int  =   1  # why we care
        B = [  # list
            1,
            2,
        ]
        """, """
        A = 2
        B = [1, 2, 3]
        """)
    assert out == "A: int  =   2  # why we care\nB = [1, 2, 3]\n"


def test_only_the_winning_binding_changes():
    out = merged("""
        X = 1
        X = 2
        """, "X = 3\n")
    assert out == "X = 1\nX = 3\n"


def test_literal_unpacking_changes_one_element():
    out = merged("A, B = 1, 2\n", "A = 1\nB = 3, 4\n")
    assert out == "A, B = 1, (3, 4)\n"


def test_shared_value_changes_when_all_sharers_change_alike():
    assert merged("A = B = 1\n", "A = B = 2\n") == "A = B = 2\n"
    # Split upstream: the statement is taken whole (B keeps its value, upstream's way).
    result = merge(src("A = B = 1\n"), src("A = 2\nB = 1\n"))
    assert result.plan.manual == [] and result.plan.changed == ["A"]
    assert result.data == b"A = 2\nB = 1\n"
    # B stays at its own value here only with --exclude: then A is left, with the reason.
    result = merge(src("A = B = 1\n"), src("A = 2\nB = 3\n"), select=Selection(exclude=("B",)))
    assert result.plan.manual == [("A", "its statement also binds B, which must stay")]
    assert not result.changed


def test_unpacked_call_changes_as_a_whole():
    assert merged("A, B = f(1)\n", "A, B = f(2)\n") == "A, B = f(2)\n"


def test_reference_changes_follow_from_what_they_refer_to():
    result = merge(src("A = 1\nB = A\n"), src("A = 2\nB = A\n"))
    assert result.plan.changed == ["A"]
    assert result.data == b"A = 2\nB = A\n"


def test_class_constant_changes_inside_its_class():
    out = merged("""
        class Mode:
            # the default
            WARN = "warn"   # keep
        WARN = "x"
        """, """
        class Mode:
            WARN = "WARN"
        WARN = "x"
        """)
    assert out == 'class Mode:\n    # the default\n    WARN = "WARN"   # keep\nWARN = "x"\n'


def test_conditional_constant_changes_in_place():
    out = merged("""
        try:
            import fast
            SPEED = 1
        except ImportError:
            SPEED = 2
        """, "SPEED = 3\n")
    assert out.endswith("except ImportError:\n    SPEED = 3\n")


def test_augmented_assignments_are_merged_as_statements():
    result = merge(src("X = [1]\nX += [2]\n"), src("X = [1, 2]\n"))
    assert result.plan.manual == [] and result.data == b"X = [1, 2]\n"
    # Upstream's += changes: ours is replaced statement by statement, comments kept.
    out = merged("""
        X = [1]
        # more
        X += [2]
        Y = 1
        """, """
        X = [1]
        X += [3]
        X += [4]
        Y = 1
        """)
    assert out == "X = [1]\n# more\nX += [3]\nX += [4]\nY = 1\n"
    # An unpacking that differs upstream.
    assert merged("A, B = 1, 2\n", "A, B = 2, 1\n") == "A, B = 2, 1\n"
    assert merged("A, B = 1, 2\nC = 0\n", "B, A = 2, 3\nC = 0\n") == "A, B = 3, 2\nC = 0\n"


# --- removed constants ---------------------------------------------------------------------


def test_removal_takes_own_comments_and_trailing_comment_only():
    out = merged("""
        A = 1

        # detached note

        # about B
        B = 2  # trailing
        C = 3
        """, "A = 1\nC = 3\n")
    assert out == "A = 1\n\n# detached note\nC = 3\n"


def test_banner_moves_to_the_first_survivor_of_its_section():
    out = merged("""
        A = 1

        ####################
        # Section
        ####################
        # own comment of B
        B = 2
        C = 3
        """, "A = 1\nC = 3\n")
    assert out == "A = 1\n\n####################\n# Section\n####################\nC = 3\n"


def test_banner_goes_when_its_whole_section_goes():
    out = merged("""
        A = 1

        # ---- Old section ----
        B = 2

        C = 3

        # ---- Next ----
        D = 4
        """, "A = 1\n\n# ---- Next ----\nD = 4\n")
    assert out == "A = 1\n\n# ---- Next ----\nD = 4\n"


def test_blank_lines_before_a_removed_run_stay():
    assert merged("A = 1\n\nB = 2\nC = 3\n", "A = 1\nC = 3\n") == "A = 1\n\nC = 3\n"


def test_removal_from_a_line_with_semicolons():
    assert merged("A = 1; B = 2; C = 3  # all\n", "A = 1\nC = 3\n") == "A = 1; C = 3  # all\n"
    assert merged("A = 1; B = 2\n", "A = 1\n") == "A = 1\n"


def test_removal_takes_augmented_assignments_along():
    assert merged("A = 1\nB = [1]\nB += [2]\nB[0] = 3\nC = 2\n", "A = 1\nC = 2\n") == "A = 1\nC = 2\n"


def test_constant_still_referred_to_is_not_removed():
    result = merge(src("A = 1\nB = A\n"), src("C = 1\n"), select=Selection(only=("A",)))
    assert result.plan.manual == [("A", "B still refers to it")]
    assert not result.changed
    result = merge(src("A = 1\nC = A\nB = A + 1\n"), src("D = 1\n"), select=Selection(only=("A",)))
    assert result.plan.manual == [("A", "B, C still refer to it")]


def test_keep_removed():
    result = merge(src("A = 1\nB = 2\n"), src("A = 1\n"), keep_removed=True)
    assert not result.changed and result.plan.kept == ["B"]


def test_removed_class_members_and_empty_class():
    out = merged("""
        A = 1


        # modes
        class Mode:
            X = 1
            Y = 2


        B = 2
        """, "A = 1\n\n\nB = 2\n")
    assert out == "A = 1\n\n\nB = 2\n"
    # A class upstream still has keeps its place, with an empty body.
    out = merged("class Mode:\n    X = 1\nB = 2\n", "class Mode:\n    pass\nB = 2\n")
    assert out == "class Mode:\n    pass\nB = 2\n"


def test_conditional_removal_goes_whole_when_the_block_binds_nothing_else():
    result = merge(src("if True:\n    A = 1\nB = 2\n"), src("B = 2\n"))
    assert result.plan.manual == [] and result.data == b"B = 2\n"
    result = merge(src("if True:\n    A = 1\n    C = 3\nB = 2\n"), src("C = 3\nB = 2\n"))
    assert result.plan.manual == [("A", "its if/try block also binds C, which must stay")]
    result = merge(src("class K: A = 1\nB = 2\n"), src("B = 2\n"))
    assert result.plan.manual == [("K.A", "it is bound inside a one-line class")]


def test_removed_comment_at_the_end_of_the_module_stays_in_the_footer():
    assert merged("A = 1\n\n# loose\n\nB = 2\n", "A = 1\n") == "A = 1\n# loose\n"


# --- added constants -----------------------------------------------------------------------


def test_added_go_after_the_nearest_preceding_common_constant():
    out = merged("""
        A = 1
        # about B
        B = 2
        """, """
        A = 1
        # new one
        N = 5
        M = 6
        # about B
        B = 2
        """)
    assert out == "A = 1\n# new one\nN = 5\nM = 6\n# about B\nB = 2\n"


def test_added_before_the_first_common_constant_when_none_precedes():
    out = merged('"""Doc."""\nimport os\n\nA = 1\n', "N = 0\nA = 1\n")
    assert out == '"""Doc."""\nimport os\n\nN = 0\nA = 1\n'


def test_added_to_an_empty_module_go_at_the_end():
    assert merged('"""Doc."""\n', "N = 0\n") == '"""Doc."""\nN = 0\n'


def test_added_class_member_at_the_start_of_its_class():
    out = merged("""
        class Mode:
            \"\"\"Doc.\"\"\"
            WARN = 1
        """, """
        class Mode:
            FIRST = 0
            WARN = 1
        """)
    assert out == 'class Mode:\n    """Doc."""\n    FIRST = 0\n    WARN = 1\n'


def test_new_class_comes_whole_with_its_banner():
    # Upstream has one blank line where PEP 8 wants two (E302): the merge adds the second.
    out = merged("A = 1\n", """
        A = 1

        # ==== Modes ====
        class Mode:
            X = 1
            Y = X
        """)
    assert out == "A = 1\n\n\n# ==== Modes ====\nclass Mode:\n    X = 1\n    Y = X\n"


def test_moved_banner_is_not_doubled():
    out = merged("""
        A = 1

        # ---- Section ----
        OLD = 1
        B = 2
        """, """
        A = 1

        # ---- Section ----
        NEW = 1
        B = 2
        """)
    assert out == "A = 1\n\n# ---- Section ----\nNEW = 1\nB = 2\n"


def test_added_from_a_shared_line_comes_alone():
    assert merged("A = 1\n", "A = 1; N = 2  # note\n") == "A = 1\nN = 2  # note\n"


def test_added_if_else_block_comes_whole():
    result = merge(src("A = 1\n"), src("A = 1\nif A:\n    N = 2\nelse:\n    N = 3\n"))
    assert result.plan.manual == [] and result.plan.added == ["N"]
    assert result.data == b"A = 1\nif A:\n    N = 2\nelse:\n    N = 3\n"
    # DeepSpeed 0.19.8's shape: a conditional default, then an unconditional one.
    up = "A = 1\n\nif A > 0:\n    N = None\nelse:\n    N = 'fp32'\n\nN = 'fp32'\n"
    result = merge(src("A = 1\n"), src(up))
    assert result.data.decode() == up
    assert_no_drift(result.data, src(up))
    # A block that binds a constant this file has too is not moved in.
    result = merge(src("A = 1\nM = 1\n"), src("A = 1\nif A:\n    N = 2\n    M = 1\n"))
    assert result.plan.manual == [("N", "upstream's statement also binds M")]


def test_added_referring_to_a_deselected_constant_waits():
    result = merge(src("A = 1\n"), src("A = 1\nN = 2\nM = N\n"), select=Selection(exclude=("N",)))
    assert result.plan.manual == [("M", "it refers to N, which is not being added")]
    assert result.plan.skipped == ["N"]


def test_added_unpacked_tuple_fits_an_element_slot():
    # upstream's bare tuple value must not run into the vendored unpacking's other elements
    assert merged("A, B = 1, 2\n", "A = 3, 4\nB = 2\n") == "A, B = (3, 4), 2\n"


# --- selection, pins, replace mode ---------------------------------------------------------


def test_only_and_exclude_globs():
    v, u = "A_X = 1\nB_X = 1\nC = 1\n", "A_X = 2\nB_X = 2\nC = 2\n"
    assert merged(v, u, select=Selection(only=("*_X",), exclude=("B*",))) == "A_X = 2\nB_X = 1\nC = 1\n"


def test_class_constants_are_selected_by_qualified_name():
    v, u = "class K:\n    A = 1\nA = 1\n", "class K:\n    A = 2\nA = 2\n"
    assert merged(v, u, select=Selection(only=("K.*",))) == "class K:\n    A = 2\nA = 1\n"


def test_pins_keep_local_values_and_absences():
    v = "A = 1  # local\nB = 1\n"
    u = "A = 2\nB = 2\nC = 3\n"
    out = merged(v, u, pins={"A": "we need 1", "C": "not wanted"})
    assert out == "A = 1  # local\nB = 2\n"


def test_replace_mode_takes_upstream_and_puts_pins_back():
    v = "# local header\nA = 1  # local\nB = 1\nKEEP = 9\nDROP = 0\n"
    u = "# upstream header\n\nA = 2\nB = 2\nNEW = 3\n"
    result = merge(src(v), src(u), pins={"A": "r", "KEEP": "r", "NEW": "r"}, mode="replace")
    assert result.data.decode() == "# upstream header\n\nA = 1\nB = 2\nKEEP = 9\n"
    assert not merge(src(v), src(u), mode="replace").data.decode().count("local")


def test_unknown_mode():
    with pytest.raises(DssyncError, match="unknown mode"):
        merge(b"A = 1\n", b"A = 2\n", mode="mirror")


# --- how the file is stored ----------------------------------------------------------------


def test_crlf_file_stays_crlf_with_lf_upstream():
    v = DS_OLD.replace("\n", "\r\n").encode()
    result = merge(v, DS_NEW.encode())
    text = result.data.decode()
    assert text.count("\n") == text.count("\r\n")
    assert text.replace("\r\n", "\n") == merge(DS_OLD.encode(), DS_NEW.encode()).data.decode()


def test_lf_file_stays_lf_with_crlf_upstream():
    result = merge(DS_OLD.encode(), DS_NEW.replace("\n", "\r\n").encode())
    assert b"\r" not in result.data
    assert result.data == merge(DS_OLD.encode(), DS_NEW.encode()).data


def test_bom_is_kept_and_not_copied():
    bom = codecs.BOM_UTF8
    assert merge(bom + b"A = 1\n", b"A = 2\n").data == bom + b"A = 2\n"
    assert merge(b"A = 1\n", bom + b"A = 2\n").data == b"A = 2\n"
    assert merge(bom + b"A = 1\n", b"A = 2\n", mode="replace").data == bom + b"A = 2\n"


def test_declared_encoding_is_kept():
    v = "# -*- coding: latin-1 -*-\nA = 'caf\u00e9'\n".encode("latin-1")
    result = merge(v, "A = 'th\u00e9'\n".encode())
    assert result.data == "# -*- coding: latin-1 -*-\nA = 'th\u00e9'\n".encode("latin-1")
    with pytest.raises(DssyncError, match="cannot be stored in this file's encoding"):
        merge(v, "A = '\u20ac'\n".encode())


def test_missing_trailing_newline_stays_missing():
    assert merge(b"A = 1\nB = 1", b"A = 2\nB = 2\nC = 3\n").data == b"A = 2\nB = 2\nC = 3"
    assert merge(b"A = 1\n", b"A = 2").data == b"A = 2\n"
    assert merge(b"A = 1", b"A = 2\n", mode="replace").data == b"A = 2"


def test_trailing_newline_after_a_comment_ending_in_backslash():
    # libcst alone drops this newline
    assert merge(b"A = 1  # \\\n", b"A = 2\n").data == b"A = 2  # \\\n"


def test_unchanged_file_is_returned_as_is():
    data = b"A = 1\r\n# odd \r\n"
    result = merge(data, b"A = 1\n")
    assert result.data is data and not result.changed


@pytest.mark.parametrize("upstream", [b"A = (\n", b"\x00", b"A = 1\n\tB = 2\n"])
def test_unparsable_upstream_is_one_clear_error(upstream):
    with pytest.raises(DssyncError) as info:
        merge(b"A = 1\n", upstream, upstream_path="up.py")
    assert "up.py" in str(info.value) and "\n" not in str(info.value)


def test_empty_vendored_file_gets_whole_lines():
    assert merge(b"", b"A = 1").data == b"A = 1\n"
    assert merge(b"", b"A = 1\n", mode="replace").data == b"A = 1\n"
