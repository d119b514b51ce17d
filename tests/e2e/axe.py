"""axe-core in the e2e tests: the WCAG 2.2 A and AA rules, run on the page as it is at that moment.

The pages never include axe: the test adds web_client/vendor/axe.min.js (same origin, so the
pages' `script-src 'self'` allows it) and runs it on the whole document, or on `include` only. Any
violation fails the test with the rule, the elements and the fix axe suggests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

AXE_URL = "/client/vendor/axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
NODES_SHOWN = 3


@dataclass(frozen=True, slots=True)
class Allowed:
    """A known violation kept on purpose: the rule, the element's selector as axe gives it, why."""

    rule: str
    target: str
    reason: str


# Keep this empty if at all possible; every entry is reported in the failure text of others.
ALLOWED: tuple[Allowed, ...] = ()

RUN_JS = """
async ([include, tags]) => {
  const context = include ? {include: [include]} : document;
  const options = {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]};
  const result = await axe.run(context, options);
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({
      target: n.target.map(String).join(" "), html: n.html, summary: n.failureSummary || "",
    })),
  }));
}
"""


async def axe_violations(page: Any, include: str | None = None) -> list[dict[str, Any]]:
    """axe's violations on the page (or inside `include`), less the allowed ones."""
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.add_script_tag(url=AXE_URL)
    found: list[dict[str, Any]] = await page.evaluate(RUN_JS, [include, TAGS])
    kept = []
    for violation in found:
        nodes = [
            n
            for n in violation["nodes"]
            if not any(a.rule == violation["id"] and a.target == n["target"] for a in ALLOWED)
        ]
        if nodes:
            kept.append({**violation, "nodes": nodes})
    return kept


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}  [{len(v['nodes'])} element(s)]")
        lines.append(f"  {v['helpUrl']}")
        for node in v["nodes"][:NODES_SHOWN]:
            lines.append(f"    at {node['target']}: {node['html'][:200]}")
            for fix in node["summary"].splitlines():
                lines.append(f"      {fix}")
    return "\n".join(lines)


async def assert_accessible(page: Any, context: str, include: str | None = None) -> None:
    """Fails on any WCAG 2.2 AA violation axe finds; `context` says the page and what is open."""
    violations = await axe_violations(page, include)
    if violations:
        raise AssertionError(
            f"axe: {len(violations)} WCAG violation(s) on {context}:\n{describe(violations)}"
        )
