"""The units of simcore's results as pint quantities: parse, convert, and hand them to pyam.

The unit strings of the variable registry (``simcore.model.variables.REGISTRY``: ``100 million CNY_2020``,
``10^4 tce``, ``tce/10^4 CNY_2020``, ``Mt CO2``, ``2020 = 1``, ...) are what every result table writes;
they stay as they are.  ``simcore/data/units.txt`` defines the units they are made of (yuan at 2020 and at
current prices, tonnes of coal equivalent, persons, the counting words), with a comment on each.

Definitions alone cannot make pint read every string right, so :data:`PINT_FORMS` maps those that need it
to a pint expression of the same quantity, applied by a preprocessor that :func:`register` adds to the
registry (so ``registry.Quantity(values, "10^4 tce")``, which pyam's ``convert_unit`` calls, works):

* pint gives ``/`` the precedence of an implicit product and reads left to right, so
  ``tce/10^4 CNY_2020`` would be ``(tce / 10^4) * CNY_2020``; the registry means everything after ``/``
  as the denominator, ``tce / (ten_thousand * CNY_2020)``;
* ``pint.Quantity`` and ``pint.Unit`` refuse a number inside a unit ("Unit expression cannot have a
  scaling factor"), so ``100 million`` and ``10^4`` become the units ``hundred_million`` and
  ``ten_thousand``;
* ``% of GDP`` and ``2020 = 1`` are no pint expressions; they become ``percent_of_GDP`` and
  ``index_2020``.

The preprocessor matches whole strings only (spaces aside), so it changes nothing else the registry reads.
``CO2`` is an emission species, a label of a mass as in pyam and iam_units, not a unit
(:func:`split_species`; ``units.txt`` says why).  pint is optional (``pip install pint``; the ``test`` and
``pyam`` extras include it).
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import numpy as np

from simcore.errors import UnitError

#: the pint definitions of simcore's units (comments on every line)
DEFINITIONS = Path(__file__).resolve().parent / "data" / "units.txt"

#: registry unit strings pint cannot read right as written -> the pint expression of the same quantity.
#: Keys are written without spaces around "/" (:func:`pint_form` reads ``t /10^4 CNY_2020`` so too);
#: ``t/10^4 CNY_2020`` is the mass part of ``t CO2/10^4 CNY_2020`` (:func:`split_species`), as pyam and
#: iam_units parse it too.
PINT_FORMS: dict[str, str] = {
    "100 million CNY_2020": "hundred_million * CNY_2020",
    "100 million CNY": "hundred_million * CNY",
    "10^4 persons": "ten_thousand * person",
    "10^4 CNY_2020/worker": "ten_thousand * CNY_2020 / worker",
    "10^4 CNY_2020/person": "ten_thousand * CNY_2020 / person",
    "10^4 tce": "ten_thousand * tce",
    "tce/10^4 CNY_2020": "tce / (ten_thousand * CNY_2020)",
    # pint then stops at the species, an undefined name, so pyam takes its species path (not at "10^4")
    "t CO2/10^4 CNY_2020": "t * CO2 / (ten_thousand * CNY_2020)",
    "t/10^4 CNY_2020": "t / (ten_thousand * CNY_2020)",
    "% of GDP": "percent_of_GDP",
    "2020 = 1": "index_2020",
}

#: the emission species of the registry's units: a label of a mass (``Mt CO2``), no unit (see units.txt)
SPECIES = ("CO2",)
_SPECIES = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(SPECIES) + r")(?![A-Za-z0-9_])")

#: names of units.txt that no registry unit string uses: a registry given to :func:`register` that defines
#: them otherwise keeps its own (pint's default ``kt`` is the knot; IAMC's, iam_units' and units.txt's the
#: kilotonne, so ``kt`` is the kilotonne in :func:`unit_registry` whichever registry it returns)
OPTIONAL = frozenset({"kt"})

#: how far a registry's own definition of a name in units.txt may differ from it (relative): iam_units'
#: tce is 29.308 GJ, units.txt's 29.3076 GJ (1.4e-5 apart)
TOLERANCE = 1e-4

_LOCK = threading.RLock()
_FRESH: list = []  # the fresh pint registry, made once per process


def _pint():
    try:
        import pint
    except ImportError:
        raise UnitError(
            'simcore.units needs pint, which is not installed: pip install pint (or pip install -e ".[test]")'
        ) from None
    return pint


def pint_form(unit: str) -> str:
    """The pint expression of a simcore unit string (itself where pint reads it right as written).

    Parameters
    ----------
    unit : str
        A unit string, e.g. ``"tce/10^4 CNY_2020"``.

    Returns
    -------
    str
        The expression pint parses to the same quantity, e.g. ``"tce / (ten_thousand * CNY_2020)"``.
    """
    key = re.sub(r"\s*/\s*", "/", " ".join(unit.split()))
    return PINT_FORMS.get(key, unit)


def split_species(unit: str) -> tuple[str, str | None]:
    """A unit string without its emission species, and the species (``None`` when it names none).

    Parameters
    ----------
    unit : str
        E.g. ``"t CO2/10^4 CNY_2020"``.

    Returns
    -------
    tuple of str and (str or None)
        E.g. ``("t /10^4 CNY_2020", "CO2")``: the rest is a mass (per something) of the species.

    Raises
    ------
    UnitError
        When the unit names a species twice.
    """
    found = _SPECIES.findall(unit)
    if not found:
        return unit, None
    if len(found) > 1:
        raise UnitError(f"unit {unit!r} names a species more than once ({', '.join(found)})")
    return _SPECIES.sub("", unit, count=1), found[0]


def _definitions() -> list[tuple[str, str, str]]:
    """``(name, definition, line)`` of every definition in units.txt, comments removed."""
    found = []
    for line in DEFINITIONS.read_text(encoding="utf-8").splitlines():
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        name, definition = (part.strip() for part in text.split("=")[:2])
        found.append((name, definition, text))
    return found


def _agrees(registry, name: str, definition: str) -> bool:
    """Whether the registry's own ``name`` is the quantity units.txt defines (same dimension, value within
    :data:`TOLERANCE`)."""
    pint = _pint()
    have = registry.Quantity(1, name)
    if definition.startswith("["):
        return dict(have.dimensionality) == {definition: 1} and have.to_base_units().magnitude == 1
    want = registry.Quantity(registry.parse_expression(definition))
    if have.dimensionality != want.dimensionality:
        return False
    try:
        ratio = float(have.to(want.units).magnitude) / float(want.magnitude)
    except pint.DimensionalityError:
        return False
    return abs(ratio - 1.0) <= TOLERANCE


def register(registry):
    """Add simcore's units (``units.txt``) and the preprocessor of :data:`PINT_FORMS` to a pint registry.

    A name the registry already defines keeps the registry's definition: it must agree with units.txt
    (same dimension, values within :data:`TOLERANCE`), or be one of :data:`OPTIONAL`; any other is an
    error.  Nothing is redefined: pint keeps the units it has parsed in a cache, which a redefinition
    does not reach.
    Calling it again on the same registry does nothing.

    Parameters
    ----------
    registry : pint.UnitRegistry
        The registry to extend (changed in place).

    Returns
    -------
    pint.UnitRegistry
        The same registry.

    Raises
    ------
    UnitError
        When pint is not installed, or the registry defines a name of units.txt as another quantity.
    """
    _pint()
    with _LOCK:
        if _preprocess in registry.preprocessors:
            return registry
        for name, definition, line in _definitions():
            if name not in registry:
                registry.define(line)
            elif not _agrees(registry, name, definition) and name not in OPTIONAL:
                raise UnitError(
                    f"{DEFINITIONS}: {line!r}: the registry already defines {name} as "
                    f"{registry.Quantity(1, name).to_base_units():~}, which is another quantity; "
                    "simcore's units cannot be added to it"
                )
        _add_preprocessor(registry)
    return registry


def _add_preprocessor(registry) -> None:
    registry.preprocessors.insert(0, _preprocess)  # before pint's own ("%" -> "percent")


def _preprocess(text: str) -> str:
    return pint_form(text)


def unit_registry(iam_units: bool | None = None):
    """The pint registry with simcore's units: iam_units' registry (pyam's) when available, else a fresh one.

    iam_units' registry is extended in place (:func:`register`), so after one call pyam's
    ``IamDataFrame.convert_unit`` reads simcore's units with or without ``registry=``.  The fresh registry is
    made once per process; every call returns the same object (pint cannot mix quantities of two
    registries).

    Parameters
    ----------
    iam_units : bool, optional
        ``True``: iam_units' registry (an error when iam_units is not installed); ``False``: the fresh pint
        registry even where iam_units is installed; ``None`` (default): iam_units' when importable.

    Returns
    -------
    pint.UnitRegistry

    Raises
    ------
    UnitError
        When pint (or, with ``iam_units=True``, iam_units) is not installed.

    Examples
    --------
    >>> from simcore.units import unit_registry
    >>> ureg = unit_registry()
    >>> ureg.Quantity(1.0, "10^4 tce").to("Mtce").magnitude
    0.01
    """
    pint = _pint()
    if iam_units is not False:
        try:
            import iam_units as iam
        except ImportError:
            if iam_units:
                raise UnitError("iam_units is not installed: pip install iam-units (pyam installs it)") from None
        else:
            return register(iam.registry)
    with _LOCK:
        if not _FRESH:  # the whole file, as pint loads it: kt, the knot in pint's defaults, is the kilotonne
            registry = pint.UnitRegistry()
            registry.load_definitions(str(DEFINITIONS))
            _add_preprocessor(registry)
            _FRESH.append(registry)
        return _FRESH[0]


def to_pint(unit: str, registry=None):
    """A simcore unit string as a :class:`pint.Unit`, without its emission species.

    Parameters
    ----------
    unit : str
        A registry unit (``"100 million CNY_2020"``) or any unit the registry reads (``"billion CNY_2020"``).
    registry : pint.UnitRegistry, optional
        Default :func:`unit_registry`.

    Returns
    -------
    pint.Unit
        E.g. ``to_pint("tce/10^4 CNY_2020")`` is ``tce / (ten_thousand * CNY_2020)``, that is 1e-4 tce per
        CNY_2020.  A species is a label, no unit (as in pyam and iam_units): ``to_pint("Mt CO2")`` is the
        megatonne, the mass of CO2; :func:`split_species` gives the species, :func:`convert` checks it.

    Raises
    ------
    UnitError
        When pint is not installed or the unit is not defined (the message names it).
    """
    registry = unit_registry() if registry is None else registry
    pint = _pint()
    rest, _ = split_species(unit)
    try:
        return registry.Unit(rest)
    except pint.UndefinedUnitError as error:
        raise UnitError(
            f"unit {unit!r}: {error} (simcore's units are defined in {DEFINITIONS}, "
            f"the registry's strings in simcore.units.PINT_FORMS)"
        ) from None
    except Exception as error:  # pint's parser raises several types on a malformed expression
        raise UnitError(f"unit {unit!r} cannot be read by pint: {type(error).__name__}: {error}") from None


def convert(value, from_unit: str, to_unit: str, registry=None):
    """Convert a value, or an array of values, from one unit to another.

    Parameters
    ----------
    value : float or array_like
        The magnitude(s) in ``from_unit``.
    from_unit, to_unit : str
        Units as in :func:`to_pint`, e.g. ``"Mt CO2"`` and ``"Gt CO2"``; both name the same species, or
        neither does (CO2 to C or CO2e takes a GWP metric: pyam's ``convert_unit(..., context=...)``).
    registry : pint.UnitRegistry, optional
        Default :func:`unit_registry`.

    Returns
    -------
    float or numpy.ndarray
        The magnitude(s) in ``to_unit``: a float for a scalar ``value``.

    Raises
    ------
    UnitError
        When pint is not installed, a unit is not defined, the species differ, or the two units measure
        different things (yuan at current prices and at 2020 prices convert only through a deflator).

    Examples
    --------
    >>> from simcore.units import convert
    >>> convert(2.5, "100 million CNY_2020", "billion CNY_2020")
    0.25
    >>> convert(1.0, "t CO2/10^4 CNY_2020", "kg CO2/CNY_2020")
    0.1
    """
    registry = unit_registry() if registry is None else registry
    pint = _pint()
    (_, species), (_, wanted) = split_species(from_unit), split_species(to_unit)
    if species != wanted:
        raise UnitError(
            f"cannot convert {from_unit!r} to {to_unit!r}: the species differ ({species or 'none'}, "
            f"{wanted or 'none'}); simcore.units converts within one species (between species: pyam's "
            "IamDataFrame.convert_unit with a GWP context, or iam_units.convert_gwp)"
        )
    source, target = to_pint(from_unit, registry), to_pint(to_unit, registry)
    magnitude = np.asarray(value, dtype=float)
    try:
        result = registry.Quantity(magnitude, source).to(target).magnitude
    except pint.DimensionalityError:
        hint = ""
        if {"[currency_CNY]", "[currency_CNY_2020]"} <= set(source.dimensionality) | set(target.dimensionality):
            hint = (
                "; yuan at current prices (CNY) and at 2020 prices (CNY_2020) convert only through a deflator: "
                "the value at 2020 prices is the current-price value / Price|GDP Deflator (2020 = 1) of the same "
                "region and year"
            )
        raise UnitError(
            f"cannot convert {from_unit!r} ({source.dimensionality}) to {to_unit!r} ({target.dimensionality}){hint}"
        ) from None
    return float(result) if np.ndim(result) == 0 else np.asarray(result)
