"""The operator registry: which estimator each converter compiles.

    @register("RandomForestClassifier", "ExtraTreesClassifier", family="trees")
    def convert_forest_classifier(model, options): ...

    @register("LGBMClassifier", "Booster", family="trees", library="lightgbm")
    def convert_lightgbm(model, options): ...

Converters are found by the estimator's class name and the package its module
belongs to (``sklearn.…``, ``lightgbm.…``, ``xgboost.…``), so registering one
never imports that package. Estimators of other packages than scikit-learn are
known by their qualified name (``lightgbm.Booster``, ``xgboost.Booster``): two
packages may use one class name. The table of supported operators
in ``src/glassbox/compile/README.md`` is rendered from this registry by
``operator_table()``, and a test keeps the two equal.
"""

from __future__ import annotations

from dataclasses import dataclass


class UnsupportedModelError(TypeError):
    """The model, or one of its options, has no compiled equivalent."""


@dataclass(frozen=True)
class Converter:
    name: str  # the class name
    family: str  # the group it is listed under
    function: object
    notes: str = ""
    library: str = "sklearn"  # the package whose modules define the class

    @property
    def key(self) -> str:
        """How the registry and the README name it: ``Pipeline``, ``lightgbm.Booster``."""
        return qualified_name(self.library, self.name)


CONVERTERS: dict[str, Converter] = {}


def qualified_name(library: str, name: str) -> str:
    return name if library == "sklearn" else f"{library}.{name}"


def register(*names: str, family: str, notes: str = "", library: str = "sklearn"):
    """Decorator: ``function(model, options) -> Operator`` compiles the classes ``names`` of ``library``."""

    def decorate(function):
        for name in names:
            converter = Converter(name, family, function, notes, library)
            if converter.key in CONVERTERS:
                raise ValueError(f"glassbox.compile: two converters registered for {converter.key}")
            CONVERTERS[converter.key] = converter
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
    from glassbox.compile.trees import ensembles, isolation_forest, lightgbm, xgboost  # noqa: F401


def supported_names() -> list[str]:
    load_converters()
    return sorted(CONVERTERS)


def find_converter(model) -> Converter:
    """The converter for ``model``, or an error naming the model and listing what is supported."""
    load_converters()
    name = type(model).__name__
    module = type(model).__module__ or ""
    key = qualified_name(module.partition(".")[0], name)
    if key in CONVERTERS:
        return CONVERTERS[key]
    raise UnsupportedModelError(
        f"glassbox.compile: cannot compile {module}.{name}: no converter for it. Supported estimators: "
        f"{', '.join(supported_names())}"
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
    lines = ["| family | estimator | notes |", "|---|---|---|"]
    for converter in sorted(CONVERTERS.values(), key=lambda item: (item.family, item.library != "sklearn", item.key)):
        lines.append(f"| {converter.family} | `{converter.key}` | {converter.notes} |")
    return "\n".join(lines) + "\n"

