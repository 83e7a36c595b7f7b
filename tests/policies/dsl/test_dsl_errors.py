"""Bad DSL gets located errors: file:line:col, a message naming the problem, and a hint where one helps."""

from __future__ import annotations

import pytest

from policies.dsl import dumps_dsl, is_dsl_source, loads_dsl
from policies.errors import Finding, PolicyError

SIGNALS = '''SIGNAL keyword urgent {
  operator: "OR"
  keywords: ["urgent", "asap"]
}
'''


def _errors(text: str, file: str = "bad.dsl") -> list[Finding]:
    with pytest.raises(PolicyError) as exc:
        loads_dsl(text, file)
    assert all(f.file == file and f.line and f.column for f in exc.value.findings)
    return exc.value.findings


def _route(body: str) -> str:
    return SIGNALS + "\nROUTE r {\n" + body + "\n}\n"


def test_unknown_top_level_keyword_names_the_near_miss():
    (f,) = _errors("SIGNALS keyword urgent { }\n")
    assert (f.line, f.column) == (1, 1)
    assert "unknown keyword 'SIGNALS'" in f.message and f.suggestion == "did you mean 'SIGNAL'?"
    assert f.human().startswith("bad.dsl:1:1: error: unknown keyword 'SIGNALS'")


def test_unknown_keyword_in_a_route():
    (f,) = _errors(_route('  PRIORTY 10\n  MODEL "m"'))
    assert (f.line, f.column) == (7, 3) and "PRIORTY" in f.message and f.suggestion == "did you mean 'PRIORITY'?"


@pytest.mark.parametrize("text, where, words", [
    ('SIGNAL keyword a { keywords: ["x"] @ }\n', (1, 36), "unexpected character '@'"),
    ('SIGNAL keyword a { keywords: ["x] }\n', (1, 31), "unterminated string"),
    ('SIGNAL keyword a { keywords ["x"] }\n', (1, 29), "expected ':' after field 'keywords'"),
    ('ROUTE r { PRIORITY high }\n', (1, 20), "expected an integer after PRIORITY"),
], ids=["bad-character", "unterminated-string", "missing-colon", "non-integer-priority"])
def test_bad_tokens_are_located(text, where, words):
    (f,) = _errors(text)
    assert (f.line, f.column) == where and words in f.message


def test_unterminated_block_points_at_its_opening_brace():
    (f,) = _errors(SIGNALS + '\nROUTE r {\n  PRIORITY 1\n  WHEN keyword("urgent")\n')
    assert (f.line, f.column) == (6, 9) and "unterminated ROUTE 'r'" in f.message and "never closed" in f.message
    assert f.suggestion == "add the closing '}'"
    # a signal block left open before the next block is reported at its own brace, not at the next block
    (f,) = _errors('SIGNAL keyword a {\n  keywords: ["x"]\n\nROUTE r { MODEL "m" }\n')
    assert (f.line, f.column) == (1, 18) and "unterminated SIGNAL keyword block" in f.message


def test_unknown_signal_reference_is_located_at_the_reference():
    (f,) = _errors(_route('  WHEN keyword("urgnt")\n  MODEL "m"'))
    assert (f.line, f.column) == (7, 8) and "keyword signal 'urgnt'" in f.message
    assert f.suggestion == "did you mean 'urgent'?"


def test_unknown_signal_type_in_a_declaration_and_in_a_reference():
    (f,) = _errors('SIGNAL keywrd urgent { keywords: ["x"] }\n')
    assert (f.line, f.column) == (1, 1) and "unknown signal type 'keywrd'" in f.message
    assert f.suggestion == "did you mean 'keyword'?"
    (f,) = _errors(_route('  WHEN keywrd("urgent")\n  MODEL "m"'))
    assert f.line == 7 and "unknown condition type 'keywrd'" in f.message


def test_unknown_algorithm_and_wrong_model_option_types():
    findings = _errors(_route('  MODEL "m" (reasoning = "yes", efort = "high")\n  ALGORITHM confidance'))
    assert [(f.line, f.column) for f in findings] == [(7, 14), (7, 33), (8, 3)]
    assert "wrong type" in findings[0].message and findings[1].suggestion == "did you mean 'effort'?"
    assert "unknown algorithm type 'confidance'" in findings[2].message


def test_what_the_router_would_ignore_is_an_error_not_a_silent_drop():
    findings = _errors(_route('  WHEN keyword("urgent", weight: 2)\n  MODEL "m" (mode = "x")\n'
                              '  ALGORITHM static { threshold: 0.5 }'))
    assert [f.line for f in findings] == [7, 8, 9]
    assert "not carried" in findings[0].message and "not carried" in findings[1].message
    assert "takes no option 'threshold'" in findings[2].message


def test_blocks_this_importer_does_not_carry_are_named():
    (f,) = _errors(SIGNALS + 'DECISION_TREE t {\n  IF keyword("urgent") { MODEL "m" }\n  ELSE { MODEL "m" }\n}\n')
    assert (f.line, f.column) == (5, 1) and "DECISION_TREE blocks are not supported" in f.message


def test_every_broken_block_is_reported_at_once():
    findings = _errors('SIGNAL keyword a { keywords: [1 2] }\nSIGNAL keyword b { keywords ["x"] }\n'
                       'ROUTE r { PRIORITY 1 }\nROUTE s { TIER x }\n')
    assert [f.line for f in findings] == [1, 2, 4]


def test_type_errors_are_located_in_the_dsl():
    (f,) = _errors('MODEL m {\n  context_window_size: "big"\n}\n')
    assert (f.line, f.column) == (2, 3) and f.path == ("routing", "modelCards", 0, "context_window_size")


def test_empty_file_is_not_a_policy():
    (f,) = _errors("# only a comment\n")
    assert f.code == "not-a-router-config"


def test_yaml_is_never_parsed_as_dsl_nor_the_reverse(tmp_path):
    yaml_text = "version: v0.3\nrouting:\n  decisions: []\n"
    assert not is_dsl_source("policy.yaml", SIGNALS) and is_dsl_source("recipe.dsl", yaml_text)
    assert is_dsl_source("recipe.txt", "# header\n" + SIGNALS) and not is_dsl_source("recipe.txt", yaml_text)
    (f,) = _errors(yaml_text, "recipe.dsl")  # YAML content in a .dsl file: a located error with a hint
    assert (f.line, f.column) == (1, 1) and "YAML" in f.suggestion


def test_validation_findings_on_a_dsl_policy_point_into_the_dsl():
    from policies.validation import validate_policy

    policy = loads_dsl(_route('  PRIORITY 10\n  WHEN keyword("urgent")\n  MODEL "gpt-x"'), "ok.dsl")
    routed = [f for f in validate_policy(policy) if "gpt-x" in f.message]
    assert routed and (routed[0].file, routed[0].line, routed[0].column) == ("ok.dsl", 9, 9)


def test_strings_and_numbers_survive_the_round_trip():
    text = SIGNALS.replace('"asap"', '"say \\"hi\\"\\n\\\\ \\u00e9t\\u00e9 \\t 调研"') + \
        'SIGNAL embedding e {\n  threshold: 0.00001\n  candidates: ["a"]\n}\n'
    policy = loads_dsl(text, "s.dsl")
    keywords = policy.routing.find_signal("keyword", "urgent").keywords
    assert keywords[1] == 'say "hi"\n\\ été \t 调研'
    assert policy.routing.find_signal("embedding", "e").threshold == 1e-05
    again = loads_dsl(dumps_dsl(policy)[0], "again.dsl")
    assert again.to_spec() == policy.to_spec()


@pytest.mark.parametrize("nest", ["NOT " * 2000 + 'keyword("urgent")', "(" * 2000 + 'keyword("urgent")' + ")" * 2000])
def test_runaway_nesting_is_a_located_error_not_a_crash(nest):
    (f,) = _errors(_route(f"  WHEN {nest}\n  MODEL \"m\""))
    assert f.line == 7 and "nested more than 64 levels deep" in f.message
    (f,) = _errors('SIGNAL keyword a { keywords: ' + "[" * 2000 + "]" * 2000 + " }\n")
    assert f.line == 1 and "nested more than" in f.message
