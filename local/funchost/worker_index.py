"""Validate indexed functions the way the Azure Functions Python worker does before it loads them.

The real worker (azure-functions-python-worker 4.x, `functions.Registry.add_indexed_function`
and `validate_function_params`, with the converters of `bindings/meta.py` and
`bindings/generic.py`) refuses a function whose parameters do not fit its bindings, and one
refused function fails the whole app: the host then reports "0 functions found". This module
re-states those rules (written from reading the worker's source, not copied) so the local host
refuses exactly what Azure refuses, with the worker's reason. See docs/functions-host.md.

Rules, per function:
- no `inout` binding; a `$return` binding must be `out`;
- a `context` parameter that no binding names is the invocation context; if annotated, the
  annotation must be a class named `Context`;
- the Python parameters and the binding names must be the same set (defaults do not help);
- an annotation must be a class or a `typing` generic (`typing.List[X]`, `func.Out[X]`);
  PEP 585 generics such as `list[str]` are neither and are refused;
- an `out` binding needs a `func.Out[T]` annotation (when annotated) and an `in` binding must
  not have one;
- the annotation (the `T` of `func.Out[T]` for outputs) must be accepted by the binding's
  converter from `azure.functions`' binding registry; bindings without a converter
  (`rabbitMQTrigger`, `rabbitMQ`, other generic bindings) accept only `str`/`bytes` in and
  `str`/`bytes`/`bytearray` out. `str`/`bytes` on a binding whose converter has no implicit
  output are checked as generic;
- a `$return` binding's return annotation must be a class accepted by its converter.
"""

from __future__ import annotations

import collections.abc
import inspect
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import azure.functions as func
from azure.functions import meta

RETURN = "$return"
_NOT_GENERIC_ORIGINS = (typing.Union, tuple, typing.ClassVar, collections.abc.Callable)


class FunctionLoadError(RuntimeError):
    """The worker's refusal of one function: `cannot load the NAME function: REASON`."""

    def __init__(self, function_name: str, reason: str) -> None:
        super().__init__(f"cannot load the {function_name} function: {reason}")
        self.function_name = function_name
        self.reason = reason


@dataclass(frozen=True, slots=True)
class BindingSpec:
    """The parts of a binding the worker looks at."""

    name: str
    type: str
    direction: str  # "in" | "out" | "inout"
    data_type: str  # as the worker prints it, e.g. "DataType.STRING" or "None"


class _Generic:
    """The worker's fallback for binding types without a converter in `azure.functions`."""

    @staticmethod
    def check_input_type_annotation(pytype: Any) -> bool:
        return issubclass(pytype, (str, bytes))

    @staticmethod
    def check_output_type_annotation(pytype: Any) -> bool:
        return issubclass(pytype, (str, bytes, bytearray))

    @staticmethod
    def has_implicit_output(binding_type: str) -> bool:
        return binding_type != "durableClient"


def is_generic_type(annotation: Any) -> bool:
    """True for `typing` generics (`typing.List[int]`, `func.Out[str]`, `Generic` classes).

    Matches the worker's bundled `typing_inspect.is_generic_type` on Python >= 3.9: PEP 585
    aliases (`list[int]`, a `types.GenericAlias`) are not generic types to it.
    """
    if isinstance(annotation, type) and issubclass(annotation, typing.Generic):
        return True
    aliases = (typing._GenericAlias, typing._SpecialGenericAlias)  # type: ignore[attr-defined]
    return isinstance(annotation, aliases) and annotation.__origin__ not in _NOT_GENERIC_ORIGINS


def _converter(binding_type: str) -> Any:
    registry: Any = meta.get_binding_registry()  # type: ignore[no-untyped-call]
    return registry.get(binding_type) or _Generic


def has_implicit_output(binding_type: str) -> bool:
    """The worker's `has_implicit_output`: generic bindings have one (except durableClient)."""
    converter = _converter(binding_type)
    if converter is _Generic:
        return _Generic.has_implicit_output(binding_type)
    probe: Callable[[], Any] = getattr(converter, "has_implicit_output", lambda: False)
    return bool(probe())


def _check(binding_type: str, pytype: Any, *, output: bool) -> bool:
    converter = _converter(binding_type)
    if output:
        return bool(converter.check_output_type_annotation(pytype))
    return bool(converter.check_input_type_annotation(pytype))


def _type_name(pytype: Any) -> str:
    return str(getattr(pytype, "__name__", pytype))


def _is_out(annotation: Any) -> bool:
    origin = typing.get_origin(annotation) if is_generic_type(annotation) else None
    target = origin if origin is not None else annotation
    return isinstance(target, type) and target.__name__ == "Out"


def _direction(binding: Any) -> str:
    value = getattr(binding, "direction", 0)
    name = getattr(value, "name", None) or {0: "IN", 1: "OUT", 2: "INOUT"}.get(value, str(value))
    return str(name).lower()


def binding_specs(function: func.Function) -> list[BindingSpec]:
    """The bindings of an indexed function (trigger included), as the worker sees them."""
    specs = []
    for binding in function.get_bindings():
        data_type = str(getattr(binding, "data_type", None))
        specs.append(
            BindingSpec(str(binding.name), str(binding.type), _direction(binding), data_type)
        )
    return specs


def validate_function(function: func.Function) -> None:
    """Raise FunctionLoadError when the Python worker would refuse `function`."""
    user_function = function.get_user_function()
    name = function.get_function_name() or user_function.__name__
    validate_signature(name, user_function, binding_specs(function))


def validate_signature(
    name: str, user_function: Callable[..., Any], bindings: Iterable[BindingSpec]
) -> None:
    """The worker's checks of one function's signature against its bindings."""
    try:
        annotations = typing.get_type_hints(user_function)
    except Exception as exc:  # the worker calls get_type_hints unguarded: indexing fails
        raise FunctionLoadError(name, f"annotations cannot be resolved: {exc!r}") from exc
    params = dict(inspect.signature(user_function).parameters)
    bound: dict[str, BindingSpec] = {}
    return_binding: BindingSpec | None = None
    for binding in bindings:
        if binding.direction == "inout":
            raise FunctionLoadError(name, '"inout" bindings are not supported')
        if binding.name == RETURN:
            if binding.direction != "out":
                raise FunctionLoadError(name, '"$return" binding must have direction set to "out"')
            return_binding = return_binding or binding
            continue
        bound[binding.name] = binding
    _check_context(name, params, bound, annotations)
    _check_params(name, params, bound, annotations)
    if return_binding is not None:
        _check_return(name, annotations, return_binding)


def _check_context(
    name: str,
    params: dict[str, inspect.Parameter],
    bound: Mapping[str, BindingSpec],
    annotations: Mapping[str, Any],
) -> None:
    if "context" not in params or "context" in bound:
        return
    params.pop("context")
    if "context" in annotations:
        annotation = annotations["context"]
        if not isinstance(annotation, type) or annotation.__name__ != "Context":
            raise FunctionLoadError(
                name,
                'the "context" parameter is expected to be of type '
                f"azure.functions.Context, got {annotation!r}",
            )


def _check_params(
    name: str,
    params: Mapping[str, inspect.Parameter],
    bound: Mapping[str, BindingSpec],
    annotations: Mapping[str, Any],
) -> None:
    if missing := set(params) - set(bound):
        raise FunctionLoadError(
            name,
            "the following parameters are declared in Python but not in function.json: "
            f"{missing!r}",
        )
    if extra := set(bound) - set(params):
        raise FunctionLoadError(
            name,
            f"the following parameters are declared in function.json but not in Python: {extra!r}",
        )
    for param in params.values():
        _check_param(name, param.name, bound[param.name], annotations)


def _check_param(
    name: str, param: str, binding: BindingSpec, annotations: Mapping[str, Any]
) -> None:
    if param not in annotations:
        return  # unannotated parameters are not checked
    annotation = annotations[param]
    is_out = _is_out(annotation)
    pytype = annotation
    if is_out:
        args = typing.get_args(annotation)
        if len(args) != 1:
            raise FunctionLoadError(
                name, f"binding {param} has invalid Out annotation {annotation!r}"
            )
        pytype = args[0]
    if not isinstance(pytype, type) and not is_generic_type(pytype):
        raise FunctionLoadError(
            name, f"binding {param} has invalid non-type annotation {annotation!r}"
        )
    if binding.direction == "out" and not is_out:
        raise FunctionLoadError(
            name,
            f'binding {param} is declared to have the "out" direction, but its annotation '
            "in Python is not a subclass of azure.functions.Out",
        )
    if binding.direction != "out" and is_out:
        raise FunctionLoadError(
            name,
            f'binding {param} is declared to have the "in" direction in function.json, but '
            "its annotation is azure.functions.Out in Python",
        )
    check_type = binding.type
    if pytype in (str, bytes) and not has_implicit_output(binding.type):
        check_type = "generic"
    try:
        accepted = _check(check_type, pytype, output=is_out)
    except TypeError as exc:  # e.g. issubclass(typing.List[str], ...) in a generic converter
        raise FunctionLoadError(
            name, f"binding {param}: the {binding.type} converter fails on {annotation!r}: {exc}"
        ) from exc
    if not accepted:
        # For indexed (v2) functions the worker always takes its dataType branch: it compares
        # the binding's DataType enum with the protobuf constant by identity.
        raise FunctionLoadError(
            name,
            f'{param!r} binding type "{binding.type}" and dataType "{binding.data_type}" in '
            "function.json do not match the corresponding function parameter's Python type "
            f'annotation "{_type_name(pytype)}"',
        )


def _check_return(name: str, annotations: Mapping[str, Any], binding: BindingSpec) -> None:
    if "return" not in annotations:
        return
    annotation = annotations["return"]
    if is_generic_type(annotation) and _is_out(annotation):
        raise FunctionLoadError(name, "return annotation should not be azure.functions.Out")
    if not isinstance(annotation, type):
        raise FunctionLoadError(name, f"has invalid non-type return annotation {annotation!r}")
    if not _check(binding.type, annotation, output=True):
        raise FunctionLoadError(
            name,
            f'Python return annotation "{annotation.__name__}" does not match binding type '
            f'"{binding.type}"',
        )


def validate_app(functions: Iterable[func.Function]) -> None:
    """Validate every function; the first refusal fails the app, as in the worker."""
    for function in functions:
        validate_function(function)
