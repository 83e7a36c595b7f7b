"""Domain signals own their labels as the router maps them (buildCategoryNameMappings, domainRuleForLabel).

Pinned rule the studio once got wrong: labels compare lower case, so a rule named ``Math`` or listing
``Computer Science`` owns the classifier's ``math`` / ``computer science`` (it never fired and was
reported as an unknown label). The solver's atom names the same labels.
"""

from __future__ import annotations

import z3

from policies.conflicts.encoding import Encoding
from policies.model import RuleNode
from policies.model.routing import Routing


def _routing(spec: dict) -> Routing:
    return Routing.from_spec({"signals": {"domains": [{"description": "d", **spec}]}})


def test_labels_compare_lower_case_in_validation_and_the_solver():
    for spec, label in (({"name": "Math"}, "math"),
                        ({"name": "tech", "mmlu_categories": ["Computer Science"]}, "computer science")):
        routing = _routing(spec)
        signal = routing.find_signal("domain", spec["name"])
        assert signal.categories() == [label]
        assert list(signal.check(("signals", "domains", 0))) == []
        encoding = Encoding(routing)
        atom = encoding.atom(RuleNode.from_spec({"type": "domain", "name": spec["name"]}))
        solver = z3.Solver()
        reaches = encoding.pool.bools[f"domain:reaches:{label}"]
        solver.add(*encoding.pool.background, encoding.pool.is_("domain", label), reaches)
        assert solver.check(z3.Not(atom)) == z3.unsat  # the label at the category threshold makes it fire
