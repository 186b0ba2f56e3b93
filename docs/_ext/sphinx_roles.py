"""A Griffe extension for the API reference: Sphinx roles in docstrings become mkdocstrings cross-references.

lift-ir's docstrings name other objects with Sphinx roles (``:class:`~lift.errors.LiftTimeoutError```,
``:func:`time_limits```). Markdown would print the role literally, so before rendering each role is rewritten:

* a role naming an object the reference renders becomes a link (``[`LiftTimeoutError`][lift.errors.LiftTimeoutError]``);
* a role naming an existing object the reference does not render (a private helper, an internal module)
  becomes plain code: there is nothing to link to, and nothing is broken;
* a role naming nothing (a typo, a renamed object) stays a cross-reference to the name as written, so that
  ``mkdocs build --strict`` fails on it: a broken reference must fail CI, not vanish.

A name is resolved the way Python would resolve it in the docstring's scope (the object, then its parents),
or as an absolute path when it starts with the package's name. ``modules`` lists the modules the reference
renders, most specific first: an object exported by several (``Kernel`` by ``lift.ocl`` and ``lift``) links
to the first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(?:class|func|meth|attr|mod|data|exc|obj):`(?P<tilde>~)?(?P<target>[\w.]+)`")


def _walk(obj: griffe.Object) -> Iterator[griffe.Object]:
    """``obj`` and every object defined inside it (aliases, which have no docstring of their own, skipped)."""
    yield obj
    for member in obj.members.values():
        if not member.is_alias:
            yield from _walk(member)  # type: ignore[arg-type]


def _canonical(collection: griffe.ModulesCollection, path: str) -> str | None:
    """The path where the object at ``path`` is defined (through imports), or None when nothing is there."""
    try:
        member = collection.get_member(path)
    except (KeyError, ValueError):
        return None
    try:
        return member.final_target.path if isinstance(member, griffe.Alias) else member.path
    except griffe.AliasResolutionError:
        return None


def _exported(module: griffe.Module, name: str) -> griffe.Object | griffe.Alias:
    """What ``module.name`` is at run time: a name both imported and a submodule (``from .lower import lower``
    in ``lift/ocl/__init__.py``) is the imported object, which Griffe would otherwise take for the submodule."""
    imported = module.imports.get(name)
    member = module.members[name]
    if member.is_module and imported is not None and imported != member.path:
        return module.modules_collection.get_member(imported)
    return member


def public_paths(collection: griffe.ModulesCollection, modules: Sequence[str]) -> dict[str, str]:
    """Canonical path → the path the reference renders it under, for every exported object and its members."""
    paths: dict[str, str] = {}
    for module_path in modules:
        module = collection.get_member(module_path)
        paths.setdefault(module.path, module.path)
        for name in module.exports or ():
            exported = _exported(module, name)
            target = exported.final_target if isinstance(exported, griffe.Alias) else exported
            if target.is_module:
                paths.setdefault(target.path, target.path)  # a submodule: its own page
                continue
            # A name shadowing a submodule is rendered explicitly under its own path (see docs/api/).
            shown = target.path if module.members[name].is_module else f"{module_path}.{name}"
            paths.setdefault(target.path, shown)
            for member in target.members.values():
                paths.setdefault(f"{target.path}.{member.name}", f"{shown}.{member.name}")
    return paths


def _resolve(obj: griffe.Object, target: str, package: str) -> str | None:
    """The full path ``target`` names in ``obj``'s scope, or None when it names nothing there."""
    head, _, rest = target.partition(".")
    if head == package:
        return target
    try:
        base = obj.resolve(head)
    except griffe.NameResolutionError:
        return None
    return f"{base}.{rest}" if rest else base


def rewrite_roles(
    text: str, obj: griffe.Object, collection: griffe.ModulesCollection, shown: dict[str, str], package: str
) -> str:
    """``text`` (the docstring of ``obj``) with each Sphinx role replaced by a link, code or a reference."""

    def replace(match: re.Match[str]) -> str:
        target = match["target"]
        title = target.rsplit(".", 1)[-1] if match["tilde"] else target
        path = _resolve(obj, target, package)
        canonical = _canonical(collection, path) if path is not None else None
        if canonical is None:
            return f"[`{title}`][{target}]"  # names nothing: left for the strict build to refuse
        if canonical in shown:
            return f"[`{title}`][{shown[canonical]}]"
        return f"`{title}`"

    return ROLE.sub(replace, text)


class SphinxRoles(griffe.Extension):
    """Rewrite the Sphinx roles of every docstring in the package into links, code or (broken) references."""

    def __init__(self, modules: Sequence[str]) -> None:
        super().__init__()
        self.modules = tuple(modules)

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        collection = loader.modules_collection
        shown = public_paths(collection, [m for m in self.modules if m.split(".")[0] == pkg.name])
        for obj in _walk(pkg):
            if obj.docstring is not None:
                obj.docstring.value = rewrite_roles(obj.docstring.value, obj, collection, shown, pkg.name)
