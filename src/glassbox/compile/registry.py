"""The operator registry: which scikit-learn estimator each converter compiles.

    @register("RandomForestClassifier", "ExtraTreesClassifier", family="trees")
    def convert_forest_classifier(model, options): ...

Converters are found by the estimator's class name and module (``sklearn.…``),
so registering one never imports scikit-learn. The table of supported operators
in ``src/glassbox/compile/README.md`` is rendered from this registry by
``operator_table()``, and a test keeps the two equal.
"""

from __future__ import annotations

from dataclasses import dataclass


class UnsupportedModelError(TypeError):
    """The model, or one of its options, has no compiled equivalent."""


@dataclass(frozen=True)
class Converter:
    name: str  # the scikit-learn class name
    family: str  # the group it is listed under
    function: object
    notes: str = ""


CONVERTERS: dict[str, Converter] = {}


def register(*names: str, family: str, notes: str = ""):
    """Decorator: ``function(model, options) -> Operator`` compiles the estimators named ``names``."""

    def decorate(function):
        for name in names:
            if name in CONVERTERS:
                raise ValueError(f"glassbox.compile: two converters registered for {name}")
            CONVERTERS[name] = Converter(name, family, function, notes)
        return function

    return decorate


def load_converters() -> None:
    """Import every converter module so that the registry is complete."""
    from glassbox.compile import (  # noqa: F401
        cluster,
        decomposition,
        encoders,
        feature_selection,
        linear,
        mlp,
        multiclass,
        naive_bayes,
        neighbors,
        pipeline,
        preprocessing,
    )
    from glassbox.compile.trees import ensembles, isolation_forest  # noqa: F401


def supported_names() -> list[str]:
    load_converters()
    return sorted(CONVERTERS)


def find_converter(model) -> Converter:
    """The converter for ``model``, or an error naming the model and listing what is supported."""
    load_converters()
    name = type(model).__name__
    module = type(model).__module__ or ""
    if name in CONVERTERS and module.startswith("sklearn."):
        return CONVERTERS[name]
    raise UnsupportedModelError(
        f"glassbox.compile: cannot compile {module}.{name}: no converter for it. Supported scikit-learn "
        f"estimators: {', '.join(supported_names())}"
    )


def unsupported_option(model, option: str, value, supported) -> UnsupportedModelError:
    """The error for an estimator whose option has no compiled equivalent."""
    return UnsupportedModelError(
        f"glassbox.compile: {type(model).__name__} with {option}={value!r} is not supported; "
        f"supported: {option} in {list(supported)}"
    )


def operator_table() -> str:
    """The markdown table of supported estimators, grouped by family (what the README shows)."""
    load_converters()
    lines = ["| family | scikit-learn estimator | notes |", "|---|---|---|"]
    for converter in sorted(CONVERTERS.values(), key=lambda item: (item.family, item.name)):
        lines.append(f"| {converter.family} | `{converter.name}` | {converter.notes} |")
    return "\n".join(lines) + "\n"

