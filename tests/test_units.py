"""simcore.units: every registry unit string parses to the right quantity, in a fresh pint registry and in
iam_units' (pyam's) where it is installed; conversions and their errors."""

import importlib.util

import numpy as np
import pytest

pint = pytest.importorskip("pint", reason='simcore.units needs pint: pip install pint (or pip install -e ".[test]")')

from simcore import units  # noqa: E402
from simcore.errors import SimcoreError, UnitError  # noqa: E402
from simcore.model.variables import REGISTRY  # noqa: E402

HAS_IAM_UNITS = importlib.util.find_spec("iam_units") is not None
REGISTRIES = [
    pytest.param(False, id="pint"),
    pytest.param(
        True,
        id="iam_units",
        marks=pytest.mark.skipif(not HAS_IAM_UNITS, reason='iam_units not installed (pip install -e ".[pyam]")'),
    ),
]

#: one known quantity of every registry unit: 1 <unit> == value <other unit>
KNOWN = {
    "100 million CNY_2020": (1e8, "CNY_2020"),
    "100 million CNY": (0.1, "billion CNY"),
    "%": (0.01, "dimensionless"),
    "10^4 persons": (1e4, "person"),
    "10^4 CNY_2020/worker": (1e4, "CNY_2020/person"),
    "10^4 CNY_2020/person": (10.0, "kCNY_2020/person"),
    "10^4 tce": (0.01, "Mtce"),
    "tce/10^4 CNY_2020": (1e-4, "tce/CNY_2020"),
    "Mt CO2": (1000.0, "kt CO2"),
    "t CO2/10^4 CNY_2020": (0.1, "kg CO2/CNY_2020"),
    "2020 = 1": (100.0, "percent"),
    "% of GDP": (0.01, "dimensionless"),
}


@pytest.fixture(params=REGISTRIES)
def registry(request):
    return units.unit_registry(iam_units=request.param)


def test_every_registry_unit_has_a_known_quantity():
    """The table below covers the registry: a new unit needs a line here (and, if pint misreads it, in
    PINT_FORMS); and PINT_FORMS holds registry units (or their mass part) only."""
    used = {entry.unit for entry in REGISTRY}
    assert used == set(KNOWN)
    masses = {units.split_species(unit)[0].replace(" /", "/") for unit in used}
    assert set(units.PINT_FORMS) <= used | masses


@pytest.mark.parametrize("unit", sorted(KNOWN))
def test_every_registry_unit_converts_a_known_quantity(registry, unit):
    value, other = KNOWN[unit]
    assert units.convert(1.0, unit, other, registry=registry) == pytest.approx(value, rel=1e-12)
    np.testing.assert_allclose(units.convert([value, 2 * value], other, unit, registry=registry), [1.0, 2.0])
    # as pyam converts: a vector Quantity of the raw string (its mass part where it names a species)
    rest, species = units.split_species(unit)
    back = registry.Quantity(np.array([value, 2 * value]), units.split_species(other)[0]).to(rest).magnitude
    np.testing.assert_allclose(back, [1.0, 2.0], rtol=1e-12)
    if species is not None:  # pint stops at the species (pyam's cue for its species path), not at "10^4"
        with pytest.raises(pint.UndefinedUnitError):
            registry.Quantity(1.0, unit)


def test_the_denominator_is_everything_after_the_slash(registry):
    """pint alone reads tce/10^4 CNY_2020 as (tce / 10^4) * CNY_2020: a CNY_2020 in the numerator."""
    for unit in ("tce/10^4 CNY_2020", "t CO2/10^4 CNY_2020"):
        assert units.to_pint(unit, registry).dimensionality["[currency_CNY_2020]"] == -1
    plain = pint.UnitRegistry()
    units.register(plain)
    plain.preprocessors.remove(units._preprocess)  # what the definitions alone give
    assert plain.parse_expression("tce/10^4 CNY_2020").dimensionality["[currency_CNY_2020]"] == 1


def test_the_definitions_file_loads_into_plain_pint():
    """units.txt is a plain pint definitions file: every unit it defines, in the expressions of PINT_FORMS."""
    plain = pint.UnitRegistry()
    plain.load_definitions(str(units.DEFINITIONS))
    for unit in KNOWN:
        value, other = KNOWN[unit]
        rest, other_rest = units.split_species(unit)[0], units.split_species(other)[0]
        got = plain.Quantity(1.0, units.pint_form(rest)).to(other_rest).magnitude
        assert got == pytest.approx(value, rel=1e-12), unit
    assert plain.Quantity(1.0, "Mt").to("kt").magnitude == pytest.approx(1000.0)
    assert plain.Quantity(1.0, "tce").to("GJ").magnitude == pytest.approx(29.3076, rel=1e-12)


def test_the_species_is_a_label_not_a_unit():
    assert units.split_species("t CO2/10^4 CNY_2020") == ("t /10^4 CNY_2020", "CO2")
    assert units.split_species("Mt CO2e") == ("Mt CO2e", None)  # another species, not simcore's
    assert units.split_species("10^4 tce") == ("10^4 tce", None)
    with pytest.raises(UnitError, match="more than once"):
        units.split_species("Mt CO2/Mt CO2")
    assert units.pint_form("t /10^4 CNY_2020") == units.pint_form("t/10^4 CNY_2020") == "t / (ten_thousand * CNY_2020)"


def test_yuan_at_current_and_2020_prices_do_not_convert(registry):
    with pytest.raises(UnitError, match="deflator"):
        units.convert(1.0, "100 million CNY", "100 million CNY_2020", registry=registry)
    with pytest.raises(UnitError, match=r"'Mt CO2' to 'Mt'.*species differ \(CO2, none\)"):
        units.convert(1.0, "Mt CO2", "Mt", registry=registry)  # a mass of CO2, not a plain mass
    with pytest.raises(UnitError, match="GWP"):
        units.convert(1.0, "Mt CO2", "Mt CO2e", registry=registry)
    with pytest.raises(UnitError):
        units.convert(1.0, "10^4 CNY_2020/worker", "CNY_2020", registry=registry)  # per person


def test_unknown_and_malformed_units_are_clear_errors(registry):
    with pytest.raises(UnitError, match=r"unit 'bananas'.*units.txt"):
        units.to_pint("bananas", registry)
    with pytest.raises(UnitError, match=r"unit '2020 = 100' cannot be read"):
        units.convert(1.0, "2020 = 100", "percent", registry=registry)
    assert issubclass(UnitError, SimcoreError)


def test_convert_keeps_the_shape_of_its_input(registry):
    assert isinstance(units.convert(3, "Mt CO2", "Gt CO2", registry=registry), float)
    out = units.convert([[1.0, 2.0], [3.0, 4.0]], "100 million CNY_2020", "billion CNY_2020", registry=registry)
    np.testing.assert_allclose(out, [[0.1, 0.2], [0.3, 0.4]], rtol=1e-12)


@pytest.mark.parametrize("iam", REGISTRIES)
def test_one_registry_a_process_and_register_twice_changes_nothing(iam):
    registry = units.unit_registry(iam_units=iam)
    assert units.unit_registry(iam_units=iam) is registry
    before = list(registry.preprocessors)
    assert units.register(registry) is registry
    assert registry.preprocessors == before and registry.preprocessors[0] is units._preprocess


def test_tce_is_the_chinese_coal_equivalent_within_the_stated_tolerance(registry):
    """29.3076 GJ in units.txt; iam_units' own 29.308 GJ is kept where it is installed (1.4e-5 apart)."""
    gj = units.convert(1.0, "tce", "GJ", registry=registry)
    assert gj == pytest.approx(29.3076, rel=units.TOLERANCE)
    assert units.convert(1.0, "10^4 tce", "ktce", registry=registry) == pytest.approx(10.0, rel=1e-12)


def test_a_registry_that_defines_a_unit_otherwise_is_refused():
    other = pint.UnitRegistry()
    other.define("tonne_of_coal_equivalent = 7 * GJ = tce")  # not China's tce
    with pytest.raises(UnitError, match="tce.*another quantity"):
        units.register(other)
    knots = pint.UnitRegistry()
    assert knots.Quantity(1, "kt").dimensionality == knots.Quantity(1, "knot").dimensionality
    units.register(knots)  # kt, which no simcore unit uses, stays pint's knot in a registry of its own
    assert knots.Quantity(1, "kt").dimensionality == knots.Quantity(1, "knot").dimensionality
    assert units.convert(1.0, "10^4 tce", "Mtce", registry=knots) == pytest.approx(0.01, rel=1e-12)


@pytest.mark.parametrize("iam", REGISTRIES)
def test_kt_is_the_kilotonne_in_simcores_registry(iam):
    assert units.convert(1.0, "Mt CO2", "kt CO2", registry=units.unit_registry(iam_units=iam)) == pytest.approx(1e3)


def test_without_pint_the_error_says_how_to_install(monkeypatch):
    import builtins

    real = builtins.__import__

    def no_pint(name, *args, **kwargs):
        if name == "pint":
            raise ImportError("No module named 'pint'")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pint)
    with pytest.raises(UnitError, match="pip install pint"):
        units.convert(1.0, "Mt CO2", "Gt CO2")


@pytest.mark.skipif(HAS_IAM_UNITS, reason="iam_units is installed here")
def test_asking_for_iam_units_without_it_is_a_clear_error():
    with pytest.raises(UnitError, match="iam_units is not installed"):
        units.unit_registry(iam_units=True)
