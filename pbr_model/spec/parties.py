"""Who carries the contract's money: the provider, provider profiles, the supply chain,
social investors and the commissioner.

Plain data like the rest of the spec. A provider profile is its own small TOML
file (bundled ones in ``contracts/providers/``); the provider, the supply chain, the
social impact bond and the commissioner are sections of a contract spec. The spec's
``[provider]`` and a profile name the same ideas alike (``credit_limit``,
``cost_of_capital``). Money in the contract currency, rates as fractions a year.
"""

from __future__ import annotations

import warnings
from typing import Literal

from pydantic import model_validator

from ._base import _f, _Model
from .renames import upgrade


COMMITMENT_FEE = ("Fee on the undrawn part of the credit limit, paid monthly (a twelfth a "
                  "month) while the cash is modelled; it is cash out, so it is financed too.")
RESERVES_RATE = ("Deposit interest the reserves would have earned, forgone while they fund "
                 "the contract: cash, so carried in the cash balance. Default 0: an "
                 "ASSUMPTION (reserves on instant access earn little). The cost of capital on "
                 "reserves is an economic cost, reported but not in the balance.")


class Provider(_Model):
    """The provider's finances."""

    reserves: float = _f("Unrestricted cash reserves available to fund the contract.", "currency",
                         default=0.0, ge=0)
    credit_limit: float = _f("Committed overdraft or revolving credit available.", "currency",
                             default=0.0, ge=0)
    cost_of_capital: float = _f("What its own money costs: the annual discount rate for NPV, "
                                "and the price of capital beyond reserves and credit.",
                                "fraction per year", default=0.08, ge=0, le=1)
    credit_rate: float | None = _f("Interest on credit drawn; omit for the cost of capital.",
                                   "fraction per year", default=None, ge=0, le=1)
    commitment_fee: float = _f(COMMITMENT_FEE, "fraction per year", default=0.0, ge=0, le=0.1)
    reserves_rate: float = _f(RESERVES_RATE, "fraction per year", default=0.0, ge=0, le=1)
    overheads: float = _f("Central overheads on top of the contract's direct costs, as a share "
                          "of them (in `pbr capital`).", "fraction", default=0.0, ge=0, le=2)

    # Deprecated: the old names, in code not yet moved to the new ones. (Spec files, --set and
    # workbooks are upgraded where they are read, naming the file: see .load and .renames.)
    @model_validator(mode="before")
    @classmethod
    def _old_names(cls, data):
        upgraded, problems = upgrade({"provider": data}, "the code that builds this Provider")
        if problems:
            raise ValueError("; ".join(f"{path}: {message}" for path, message, _ in problems))
        return upgraded["provider"]

    # Reading an old attribute is a developer's matter: a DeprecationWarning, which Python
    # shows in tests and hides from the command line's users.
    @property
    def credit_line(self) -> float:
        """Deprecated: :attr:`credit_limit` [currency]."""
        warnings.warn("Provider.credit_line is now Provider.credit_limit", DeprecationWarning,
                      stacklevel=2)
        return self.credit_limit

    @property
    def discount_rate(self) -> float:
        """Deprecated: :attr:`cost_of_capital` [fraction per year]."""
        warnings.warn("Provider.discount_rate is now Provider.cost_of_capital",
                      DeprecationWarning, stacklevel=2)
        return self.cost_of_capital


class ProviderProfile(_Model):
    """An organisation's finances and the part of a contract it takes on.

    Seat terms (``share``, ``fee_share``, ``pbr_share``) say what the organisation
    takes: ``share`` of the work and costs, with the named shares of the fee and of
    the payment-by-results risk on that share; the outcome money it does not carry
    is paid per participant at the plan's value.
    """

    name: str = _f("Profile name shown in reports.", "text", min_length=1, max_length=60)
    description: str = _f("What kind of organisation this is, and where its figures come from.",
                          "text", default="", max_length=2000)
    reserves: float = _f("Unrestricted cash reserves it can put into the contract.", "currency",
                         ge=0)
    credit_limit: float = _f("Committed overdraft or revolving credit facility.", "currency",
                             default=0.0, ge=0)
    credit_rate: float | None = _f("Interest on credit drawn; omit for the cost of capital.",
                                   "fraction per year", default=None, ge=0, le=1)
    cost_of_capital: float = _f(
        "What its own money costs: the return reserves must forgo (an economic cost, "
        "reported but not in the cash balance) and the price of any new capital beyond "
        "reserves and credit (carried in the balance). Also the NPV discount rate.", "fraction per year",
        ge=0, le=1)
    commitment_fee: float = _f(COMMITMENT_FEE, "fraction per year", default=0.0, ge=0, le=0.1)
    reserves_rate: float = _f(RESERVES_RATE, "fraction per year", default=0.0, ge=0, le=1)
    overheads: float = _f("Central overheads on top of the contract's direct costs, as a share "
                          "of them.", "fraction", default=0.0, ge=0, le=2)
    facility_rate: float = _f(
        "Interest on a social investment facility sized for it by `pbr capital` (drawn after "
        "reserves and credit). Default 8%: an ASSUMPTION, social lending to charities is "
        "typically 6-10% a year.", "fraction per year", default=0.08, ge=0, le=1)
    facility_arrangement_fee: float = _f(
        "Fee on the whole facility, paid when it is arranged (month 0). Default 1%: an "
        "ASSUMPTION.", "fraction", default=0.01, ge=0, le=0.2)
    facility_commitment_fee: float = _f(
        "Fee on the undrawn part of the facility, paid monthly (a twelfth a month). Default "
        "0.5%: an ASSUMPTION.", "fraction per year", default=0.005, ge=0, le=0.1)

    @property
    def credit_cost(self) -> float:
        """The rate charged on credit drawn [fraction per year]."""
        return self.cost_of_capital if self.credit_rate is None else self.credit_rate

    share: float = _f("Share of the contract's work (participants and direct costs) it takes.",
                      "fraction", default=1.0, gt=0, le=1)
    fee_share: float = _f("Share of the fee on its work passed to it, paid as the contract pays "
                          "it; the prime keeps the rest (its top slice).", "fraction",
                          default=1.0, ge=0, le=1)
    pbr_share: float = _f("Share of the outcome payments on its work it carries, paid when the "
                          "contract is paid; the rest is paid per participant at the plan's "
                          "value, one month after each starts (Tier 3: 0).", "fraction",
                          default=1.0, ge=0, le=1)
    fee_basis: Literal["contract", "caseload"] = _f(
        "How its share of the fee is paid: 'contract', as the contract pays it (the "
        "per-participant fee follows the paid volume); 'caseload', for work delivered: the "
        "plan's fee scaled by the caseload served so far against plan, so the paid-volume "
        "risk stays with the prime.",
        "text", default="contract")


class ProfileFile(_Model):
    """A provider profile file: one ``[provider]`` table."""

    provider: ProviderProfile = _f("The profile.", "section")


class Subcontract(_Model):
    """One subcontractor in the prime's supply chain."""

    name: str = _f("Name shown in reports.", "text", min_length=1, max_length=60)
    profile: str = _f("Provider profile whose finances it has: a bundled one's name (see "
                      "`pbr providers`), or a profile file (TOML, or a workbook from `pbr "
                      "template FILE.xlsx --from PROFILE`), its path relative to the spec's "
                      "file, so an organisation keeps its own finances where it works.",
                      "text", min_length=1, max_length=260)
    share: float = _f("Share of the contract's work and direct costs passed to it.", "fraction",
                      gt=0, lt=1)
    fee_share: float = _f("Share of the fee on its work passed to it; the prime keeps the rest "
                          "(its top slice).", "fraction", default=1.0, ge=0, le=1)
    pbr_share: float = _f("Share of the outcome payments on its work it carries: Tier 2 some, "
                          "Tier 3 little or none; the rest is paid per participant at the plan's "
                          "value.", "fraction", default=1.0, ge=0, le=1)
    fee_basis: Literal["contract", "caseload"] = _f(
        "How its share of the fee is paid: 'contract', as the contract pays it (the "
        "per-participant fee follows the paid volume); 'caseload', for work delivered: the "
        "plan's fee scaled by the caseload served so far against plan, so the paid-volume "
        "risk stays with the prime.",
        "text", default="contract")


class Tranche(_Model):
    """One slice of social investment (or a grant or deferred fee) in a SIB."""

    name: str = _f("Investor or tranche name shown in reports.", "text", min_length=1,
                   max_length=60)
    kind: Literal["senior_loan", "junior_loan", "equity", "grant", "deferred_fee"] = _f(
        "What it is (for reports): loans and equity are repaid by rank; a grant is repaid only "
        "if `recoverable`; a deferred fee is the provider's own fee, repaid by rank.", "text",
        default="senior_loan")
    amount: float = _f("Commitment: the most that can be drawn. At least 1 (a unit of the "
                       "currency): a smaller one is no tranche, and its multiple and return on "
                       "what it drew overflow.", "currency", ge=1)
    rank: int = _f("Order of repayment: 1 is repaid first; equal ranks share pro rata.",
                   "rank", default=1, ge=1, le=20)
    return_cap: float = _f("Return it may earn on capital drawn, compounding monthly, before "
                           "lower ranks see anything beyond their capital.", "fraction per year",
                           default=0.0, ge=0, le=1)
    surplus_share: float = _f("Share of anything left after every capital and capped return that "
                              "goes to it.", "fraction", default=0.0, ge=0, le=1)
    recoverable: bool | None = _f("Whether it is repaid at all (default: yes, except grants).",
                                  "bool", default=None)

    @property
    def repaid(self) -> bool:
        return self.recoverable if self.recoverable is not None else self.kind != "grant"


class Guarantee(_Model):
    """A guarantee or first-loss cover on one tranche's capital."""

    name: str = _f("Guarantor shown in reports.", "text", min_length=1, max_length=60)
    covers: str = _f("Name of the tranche whose lost capital it covers.", "text", min_length=1)
    amount: float = _f("Most the guarantee pays.", "currency", gt=0)
    cover: float = _f("Share of the tranche's lost capital it pays, up to `amount`.", "fraction",
                      default=1.0, gt=0, le=1)


class DrawStep(_Model):
    """A scheduled drawdown: a share of every commitment drawn in a month."""

    month: int = _f("Month of the draw (0 = contract start).", "month index", ge=0, le=600)
    share: float = _f("Share of each commitment drawn then.", "fraction", gt=0, le=1)


class SocialImpactBond(_Model):
    """Investors fund the service; outcome payments repay them through a waterfall.

    Every month the bond's vehicle pays the service's costs, funded first from
    income (fees and outcome payments) and then by drawing on the commitments pro
    rata. What income is left goes down the waterfall: by rank, each rank's capital
    and then its capped return (``waterfall = "by_rank"``; or every rank's capital
    before any return, ``"capital_first"``), then the surplus shares; what no one
    claims stays with the vehicle (the provider or intermediary). Grants are not
    repaid. Guarantees pay when the bond ends: in the contract's last month, or in
    the month it stopped where ``[termination]`` pays nothing after its stop.
    """

    tranches: list[Tranche] = _f("The investment tranches.", "list",
                                             min_length=1, max_length=20)
    guarantees: list[Guarantee] = _f("Guarantees and first-loss cover.", "list",
                                     default_factory=list, max_length=20)
    drawdown: Literal["as_needed", "schedule"] = _f(
        "`as_needed`: draw what the costs need when they are incurred; `schedule`: draw the "
        "shares in `schedule`, holding the cash until needed.", "text", default="as_needed")
    schedule: list[DrawStep] = _f("Scheduled draws (with drawdown = 'schedule').", "list",
                                  default_factory=list, max_length=600)
    waterfall: Literal["by_rank", "capital_first"] = _f(
        "Order of repayment. `by_rank` (senior first): rank 1 gets its capital and then its "
        "capped return before rank 2 gets anything, and so on down the ranks; "
        "`capital_first`: the capital of every rank, by rank, before any capped return "
        "(the default up to 0.5).", "text", default="by_rank")

    @model_validator(mode="after")
    def _consistent(self) -> "SocialImpactBond":
        names = [t.name for t in self.tranches]
        if len(set(names)) != len(names):
            raise ValueError("sib.tranches: names must differ (guarantees name the tranche)")
        for g in self.guarantees:
            if g.covers not in names:
                raise ValueError(f"sib.guarantees: {g.name!r} covers {g.covers!r}, which is not "
                                 f"a tranche; tranches: {', '.join(names)}")
        if self.drawdown == "schedule":
            total = sum(s.share for s in self.schedule)
            if not self.schedule or abs(total - 1) > 1e-9:
                raise ValueError("sib.schedule: with drawdown = 'schedule' the shares must sum "
                                 f"to 1 (got {total:g})")
        elif self.schedule:
            raise ValueError("sib.schedule: given, but drawdown is 'as_needed'; set "
                             "drawdown = 'schedule' or remove it")
        shares = sum(t.surplus_share for t in self.tranches)
        if shares > 1 + 1e-9:
            raise ValueError(f"sib.tranches: surplus shares sum to {shares:g}, more than 1")
        return self


class Commissioner(_Model):
    """The commissioner's view: what reoffending costs and how it discounts."""

    cost_per_reoffence: float | None = _f(
        "Cost to the state and victims of one proven reoffence, in the prices of the "
        "contract's start, for net savings and net present value; omit to report neither.",
        "currency", default=None, ge=0)
    discount_rate: float = _f("Annual discount rate for present values, in real terms (the "
                              "Green Book's 3.5%): the cash is deflated by `inflation` first.",
                              "fraction per year", default=0.035, ge=0, le=1)
    inflation: float = _f("General inflation a year (a GDP deflator) that deflates the cash as "
                          "paid to the prices of the contract's start before it is discounted "
                          "at `discount_rate`. ASSUMPTION 2%, the Bank of England's target; 0 "
                          "discounts the cash as paid (nominal).", "fraction per year",
                          default=0.02, ge=0, le=0.5)
