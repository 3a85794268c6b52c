"""Erlang C (M/M/n) and Erlang A (M/M/n+M) queueing formulas for contact-centre staffing.

Pure functions, no database. Rates are per second, times in seconds. Everything is computed
so that it stays finite and accurate for hundreds of agents and heavy loads:

Erlang C
    Erlang B by the recurrence B(0) = 1, B(n) = A·B(n−1) / (n + A·B(n−1)) (never overflows:
    every B lies in [0, 1]), then the probability of waiting
    C(n, A) = n·B / (n − A·(1 − B)) for n > A (1 when n ≤ A: the queue grows without end).
    Service level P(W ≤ t) = 1 − C·exp(−(n − A)·t / AHT), ASA = C·AHT / (n − A).
    Reference: G. Koole, *Call Center Optimization* (2013), ch. 5; Gans, Koole & Mandelbaum,
    "Telephone call centers: tutorial, review and research prospects", MSOM 5(2), 2003.

Erlang A (Palm's M/M/n+M: exponential patience with mean 1/θ)
    With λ the arrival rate, μ = 1/AHT, a = nμ/θ and x = λ/θ, the states with someone waiting
    have weights relative to "n busy, nobody waiting" t_j = x^j / ((a+1)(a+2)…(a+j)), whose sum
    is S = ₁F₁(1; a+1; x) = Γ(a+1)·eˣ·x^(−a)·P(a, x) (P the regularised lower incomplete
    gamma function). The states with an idle agent weigh 1/B(n, A) − 1 (Erlang B again), so
    P(wait) = S / (1/B − 1 + S).
    The offered wait V of an arrival that must wait has the density (Baccelli & Hébuterne
    1981, for exponential patience H(s) = (1 − e^(−θs))/θ)
        g(s) = nμ · exp(x·(1 − e^(−θs)) − nμ·s) / S,
    so P(V > s | wait) = exp(x(1 − e^(−θs)) − nμs) · S(a, x e^(−θs)) / S(a, x) and the share of
    waiting callers answered within t (before their patience runs out) is
        (a/(a+1))·[S(a+1, x) − (y/x)^(a+1)·e^(x−y)·S(a+1, y)] / S(a, x),  y = x·e^(−θt).
    P(abandon) = P(wait)·(1 − (a/x)·(1 − 1/S)) (from S(a, x) = 1 + x/(a+1)·S(a+1, x)).
    References: Garnett, Mandelbaum & Reiman, "Designing a call center with impatient
    customers", MSOM 4(3), 2002; Mandelbaum & Zeltyn, "The M/M/n+G queue: summary of
    performance measures" (Technion note, 2005); Baccelli & Hébuterne, "On queues with
    impatient customers", Performance '81.
    log S is computed in log space: by its power series (all terms positive, summed with
    log-sum-exp) when x ≤ a + 1, and through scipy's `gammainc` (then ≥ about ½, no
    underflow) when x > a + 1.
"""

import math

import numpy as np
from scipy import integrate, special

MAX_AGENTS = 100_000


# --- validation -------------------------------------------------------------------------------


def _check_nonneg(name: str, value: float) -> float:
    value = float(value)
    if math.isnan(value) or value < 0:
        raise ValueError(f"{name} must be a number ≥ 0, got {value!r}")
    return value


def _check_pos(name: str, value: float, *, allow_inf: bool = False) -> float:
    value = float(value)
    if math.isnan(value) or value <= 0 or (math.isinf(value) and not allow_inf):
        raise ValueError(f"{name} must be a number > 0, got {value!r}")
    return value


def _check_agents(agents) -> int:
    if isinstance(agents, bool) or int(agents) != agents or agents < 0:
        raise ValueError(f"agents must be a whole number ≥ 0, got {agents!r}")
    return int(agents)


def _check_fraction(name: str, value: float) -> float:
    value = float(value)
    if not 0 < value < 1:
        raise ValueError(f"{name} must lie strictly between 0 and 1, got {value!r}")
    return value


def _check_inputs(rate_per_s, aht_s, agents, target_s=None):
    rate = _check_nonneg("rate_per_s", rate_per_s)
    aht = _check_pos("aht_s", aht_s)
    n = _check_agents(agents)
    if target_s is not None:
        target = float(target_s)
        if math.isnan(target) or target < 0:
            raise ValueError(f"target_s must be ≥ 0 seconds, got {target_s!r}")
        return rate, aht, n, target
    return rate, aht, n


# --- Erlang B and C ---------------------------------------------------------------------------


def erlang_b(traffic: float, agents: int) -> float:
    """Blocking probability of an M/M/n/n loss system offered `traffic` Erlangs."""
    a = _check_nonneg("traffic", traffic)
    n = _check_agents(agents)
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c_wait_probability(traffic: float, agents: int) -> float:
    """Probability that a caller must wait (Erlang C), for `traffic` = λ·AHT Erlangs."""
    a = _check_nonneg("traffic", traffic)
    n = _check_agents(agents)
    if a == 0:
        return 0.0
    if n <= a:
        return 1.0
    b = erlang_b(a, n)
    return min(1.0, n * b / (n - a * (1.0 - b)))


def service_level_c(rate_per_s: float, aht_s: float, agents: int, target_s: float) -> float:
    """Share of calls answered within `target_s` seconds (Erlang C)."""
    rate, aht, n, target = _check_inputs(rate_per_s, aht_s, agents, target_s)
    traffic = rate * aht
    if traffic == 0:
        return 1.0
    if n <= traffic:
        return 0.0
    c = erlang_c_wait_probability(traffic, n)
    return max(0.0, 1.0 - c * math.exp(-(n - traffic) * target / aht))


def asa_c(rate_per_s: float, aht_s: float, agents: int) -> float:
    """Average speed of answer in seconds (Erlang C); infinite when agents ≤ traffic."""
    rate, aht, n = _check_inputs(rate_per_s, aht_s, agents)
    traffic = rate * aht
    if traffic == 0:
        return 0.0
    if n <= traffic:
        return math.inf
    return erlang_c_wait_probability(traffic, n) * aht / (n - traffic)


def occupancy(rate_per_s: float, aht_s: float, agents: int, *, abandon: float = 0.0) -> float:
    """Share of the agents' time spent handling calls (answered calls only)."""
    rate, aht, n = _check_inputs(rate_per_s, aht_s, agents)
    if n == 0:
        return 0.0
    return min(1.0, rate * (1.0 - abandon) * aht / n)


def agents_for_service_level(
    rate_per_s: float,
    aht_s: float,
    target_sl: float,
    target_s: float,
    *,
    max_occupancy: float | None = None,
) -> int:
    """Smallest number of agents answering `target_sl` of the calls within `target_s` seconds
    (Erlang C), and, when `max_occupancy` is given, keeping occupancy at or under it."""
    rate, aht, _n, target = _check_inputs(rate_per_s, aht_s, 0, target_s)
    sl = _check_fraction("target_sl", target_sl)
    traffic = rate * aht
    if traffic == 0:
        return 0
    n = max(1, math.floor(traffic) + 1)
    while service_level_c(rate, aht, n, target) < sl:
        n += 1
        if n > MAX_AGENTS:
            raise ValueError(f"more than {MAX_AGENTS} agents would be needed")
    if max_occupancy is not None:
        cap = _check_pos("max_occupancy", max_occupancy)
        if cap > 1:
            raise ValueError(f"max_occupancy must be at most 1, got {max_occupancy!r}")
        n = max(n, math.ceil(traffic / cap - 1e-12))
    return n


# --- Erlang A ---------------------------------------------------------------------------------


def _log_s(a: float, x: float) -> float:
    """log ₁F₁(1; a+1; x) = log Σ_j x^j / ((a+1)…(a+j)), for a > 0, x ≥ 0."""
    if x == 0:
        return 0.0
    if x > a + 1:
        p = special.gammainc(a, x)
        return float(special.gammaln(a + 1) + x - a * math.log(x) + math.log(p))
    # Power series: the term ratio x/(a+j) is < 1 from j = 1 on; sum in chunks until the
    # terms fall 40 e-folds under the largest.
    log_x = math.log(x)
    total = 0.0  # log of the sum so far (the j = 0 term is 1)
    last = 0.0
    start = 1
    chunk = 2048
    while True:
        j = np.arange(start, start + chunk, dtype=float)
        logs = last + np.cumsum(log_x - np.log(a + j))
        total = float(np.logaddexp(total, special.logsumexp(logs)))
        last = float(logs[-1])
        if last < total - 40:
            return total
        start += chunk
        chunk = min(chunk * 2, 1 << 20)


def _erlang_a_parts(rate: float, aht: float, patience: float, n: int):
    """(P(wait), a, x, θ, nμ, log S) for M/M/n+M."""
    mu = 1.0 / aht
    theta = 1.0 / patience
    a = n * mu / theta
    x = rate / theta
    log_s = _log_s(a, x)
    b = erlang_b(rate * aht, n)
    idle = 1.0 / b - 1.0 if b > 0 else math.inf  # weight of the states with an idle agent
    if idle == math.inf:
        p_wait = 0.0
    elif idle == 0:
        p_wait = 1.0
    else:
        p_wait = 1.0 / (1.0 + math.exp(math.log(idle) - log_s))
    return p_wait, a, x, theta, n * mu, log_s


def _check_a(rate_per_s, aht_s, patience_s, agents, target_s=None):
    values = _check_inputs(rate_per_s, aht_s, agents, target_s)
    patience = _check_pos("patience_s", patience_s, allow_inf=True)
    return (*values, patience)


def erlang_a_wait_probability(
    rate_per_s: float, aht_s: float, patience_s: float, agents: int
) -> float:
    """Probability that a caller finds every agent busy (Erlang A)."""
    rate, aht, n, patience = _check_a(rate_per_s, aht_s, patience_s, agents)
    if rate == 0:
        return 0.0
    if n == 0:
        return 1.0
    if math.isinf(patience):
        return erlang_c_wait_probability(rate * aht, n)
    return _erlang_a_parts(rate, aht, patience, n)[0]


def wait_tail_a(rate_per_s: float, aht_s: float, patience_s: float, agents: int, t: float):
    """P(offered wait > t | the caller must wait) in M/M/n+M (the wait they would have to
    endure if they were infinitely patient)."""
    rate, aht, n, t, patience = _check_a(rate_per_s, aht_s, patience_s, agents, t)
    if n == 0 or rate == 0:
        return 1.0 if n == 0 else 0.0
    _p, a, x, theta, nmu, log_s = _erlang_a_parts(rate, aht, patience, n)
    y = x * math.exp(-theta * t)
    return min(1.0, math.exp(-nmu * t + (x - y) + _log_s(a, y) - log_s))


def _answered_share_of_waiting(a, x, theta, log_s, t: float) -> float:
    """Of the callers who must wait, the share answered within t (patience permitting)."""
    log_s1 = _log_s(a + 1, x)
    first = math.exp(log_s1 - log_s)
    if math.isinf(t):
        second = 0.0
    else:
        y = x * math.exp(-theta * t)
        second = math.exp(-(a + 1) * theta * t + (x - y) + _log_s(a + 1, y) - log_s)
    return max(0.0, min(1.0, a / (a + 1) * (first - second)))


def service_level_a(
    rate_per_s: float, aht_s: float, patience_s: float, agents: int, target_s: float
) -> float:
    """Share of all arriving callers answered within `target_s` seconds (Erlang A); callers
    who hang up count as not answered."""
    rate, aht, n, target, patience = _check_a(rate_per_s, aht_s, patience_s, agents, target_s)
    if rate == 0:
        return 1.0
    if n == 0:
        return 0.0
    if math.isinf(patience):
        return service_level_c(rate, aht, n, target)
    p_wait, a, x, theta, _nmu, log_s = _erlang_a_parts(rate, aht, patience, n)
    return (1.0 - p_wait) + p_wait * _answered_share_of_waiting(a, x, theta, log_s, target)


def abandonment_a(rate_per_s: float, aht_s: float, patience_s: float, agents: int) -> float:
    """Probability that a caller hangs up before being answered (Erlang A)."""
    rate, aht, n, patience = _check_a(rate_per_s, aht_s, patience_s, agents)
    if rate == 0 or math.isinf(patience):
        return 0.0
    if n == 0:
        return 1.0
    p_wait, a, x, theta, _nmu, log_s = _erlang_a_parts(rate, aht, patience, n)
    share = 1.0 - (a / x) * (1.0 - math.exp(-log_s))
    return max(0.0, min(p_wait, p_wait * share))


def asa_a(rate_per_s: float, aht_s: float, patience_s: float, agents: int) -> float:
    """Average speed of answer of the answered calls, in seconds (Erlang A)."""
    rate, aht, n, patience = _check_a(rate_per_s, aht_s, patience_s, agents)
    if rate == 0:
        return 0.0
    if n == 0:
        return math.inf
    if math.isinf(patience):
        return asa_c(rate, aht, n)
    p_wait, a, x, theta, nmu, log_s = _erlang_a_parts(rate, aht, patience, n)
    if p_wait == 0:
        return 0.0

    def log_density(s):  # log of g(s)·e^(−θs): waited s and was still there
        return math.log(nmu) + x * -math.expm1(-theta * s) - nmu * s - log_s - theta * s

    # g(s)e^(−θs) is unimodal: its mode is at ln(x/(a+1))/θ when x > a+1 (a bell about
    # 1/√((nμ+θ)θ) wide), else at 0 (decaying at least at rate nμ+θ−λ). Integrate piece by
    # piece from the mode outwards until the pieces no longer count.
    bell = 1.0 / math.sqrt((nmu + theta) * theta)
    if x > a + 1:
        peak, step = math.log(x / (a + 1)) / theta, bell
    else:
        peak, step = 0.0, min(bell, 1.0 / max(nmu + theta - rate, 1e-300))

    def piece(lo, hi):
        return integrate.quad(lambda s: s * math.exp(log_density(s)), lo, hi, limit=200)[0]

    answered_wait_time = piece(0.0, peak) if peak else 0.0
    lo = peak
    for _ in range(400):
        part = piece(lo, lo + step)
        answered_wait_time += part
        lo += step
        if part <= 1e-15 * answered_wait_time or log_density(lo) < -745:
            break
    answered_after_wait = _answered_share_of_waiting(a, x, theta, log_s, math.inf)
    answered = (1.0 - p_wait) + p_wait * answered_after_wait
    if answered <= 0:
        return math.inf
    return p_wait * answered_wait_time / answered


def agents_for_service_level_a(
    rate_per_s: float,
    aht_s: float,
    patience_s: float,
    target_sl: float,
    target_s: float,
    *,
    max_occupancy: float | None = None,
) -> int:
    """Smallest number of agents answering `target_sl` of all callers within `target_s`
    seconds when callers hang up after an exponential patience with mean `patience_s`
    (Erlang A); with `max_occupancy`, also keeping occupancy at or under it."""
    rate, aht, _n, target, patience = _check_a(rate_per_s, aht_s, patience_s, 0, target_s)
    sl = _check_fraction("target_sl", target_sl)
    if rate == 0:
        return 0

    def ok(n: int) -> bool:
        if service_level_a(rate, aht, patience, n, target) < sl:
            return False
        if max_occupancy is None:
            return True
        return occupancy(rate, aht, n, abandon=abandonment_a(rate, aht, patience, n)) <= (
            max_occupancy + 1e-12
        )

    if max_occupancy is not None:
        cap = _check_pos("max_occupancy", max_occupancy)
        if cap > 1:
            raise ValueError(f"max_occupancy must be at most 1, got {max_occupancy!r}")
    # The service level grows with n: bracket, then bisect.
    lo, hi = 0, 1
    while not ok(hi):
        lo, hi = hi, hi * 2
        if hi > MAX_AGENTS:
            raise ValueError(f"more than {MAX_AGENTS} agents would be needed")
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi
