"""The Leontief cost-push price model: output prices from the price of value added and of bought-in inputs.

Per unit of output, cell ``j`` pays its inputs from Tianjin (``A``), its inputs from outside Tianjin by
product (``M_out``) and value added (``v``); in 2020 these add up to 1 in every column.  With the
scenario's price paths (2020 = 1: ``pi_va`` for value added, one per sector, the same in every district;
``pi_e`` for energy products bought from outside Tianjin, ``pi_m`` for the other outside inputs) the
output prices solve

    p_t' = p_t' A + (pi_va,t o v)' + pi_t' M_out,    so    (I - A') p_t = pi_va,t o v + M_out' pi_t,

with the factors of ``I - A`` used transposed (``o``: element by element).  Prices equal 1 in 2020
(tested).  Value added is priced at its own index, so nominal value added is ``pi_va x`` real value
added, sector by sector, and a region's GDP deflator is its nominal GDP over its real GDP (a Paasche
index, weighted by the year's real structure; :func:`nominal_value_added`).  Prices do not feed back into
quantities yet (no own-price elasticity of energy demand; issue 11, item 6).
"""

from __future__ import annotations

import numpy as np

from simcore.baseline.tables import Baseline

ENERGY_PRODUCTS = ("mining", "petrochemicals", "gas_water", "power_heat")
_FACTORS: dict[str, tuple] = {}


def _factors(b: Baseline):
    if b.checksum not in _FACTORS:
        import scipy.linalg

        _FACTORS[b.checksum] = scipy.linalg.lu_factor(np.eye(b.A.shape[0]) - b.A)
    return _FACTORS[b.checksum]


def value_added_prices(b: Baseline, paths) -> np.ndarray:
    """The price of value added of every sector in every year, (T, S), 2020 = 1."""
    T = len(paths.fai[0])
    if paths.price_value_added is None:
        return np.ones((T, b.n_sector))
    prices = np.asarray(paths.price_value_added, dtype=float)
    return np.broadcast_to(prices[:, None] if prices.ndim == 1 else prices, (T, b.n_sector))


def nominal_value_added(b: Baseline, paths, va: np.ndarray) -> np.ndarray:
    """Value added at current prices: ``va`` (..., T, R, S) at 2020 prices times each sector's price."""
    return va * value_added_prices(b, paths)[:, None, :]


def output_prices(b: Baseline, paths) -> np.ndarray:
    """Output price of every cell in every year, (T, n), 2020 = 1."""
    import scipy.linalg

    T = len(paths.fai[0])
    v = np.tile(b.va_ratio, b.n_region)
    energy = np.array([s in ENERGY_PRODUCTS for s in b.sectors.ids])
    pi_va = np.tile(value_added_prices(b, paths), (1, b.n_region))  # (T, n): cells are region-major
    pi_m, pi_e = _path(paths.price_imports, T), _path(paths.price_energy, T)
    product_price = np.where(energy[None, :], pi_e[:, None], pi_m[:, None])  # (T, S)
    rhs = pi_va * v[None, :] + product_price @ b.M_out  # (T, n)
    return scipy.linalg.lu_solve(_factors(b), rhs.T, trans=1).T


def _path(values, T: int) -> np.ndarray:
    return np.ones(T) if values is None else np.asarray(values, dtype=float)
