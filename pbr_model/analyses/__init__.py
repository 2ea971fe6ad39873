"""The questions the CLI asks, one module each, each owning its result dataclass.

=============  ==========================================  =======================
module         question                                    result
=============  ==========================================  =======================
simulate       what will this contract pay, how uncertain  ``SimulationResult``
capital        can this party carry it                     ``CapitalResult``
portfolio      can an owner of several areas carry them    ``PortfolioResult``
power          how likely is payment, by true effect       ``PowerResult``
breakeven      what value of a parameter just breaks even  ``BreakevenResult``
settle         what do the rules pay on observed results   ``SettlementResult``
show           the contract's terms at the expected effect ``ShowResult``
=============  ==========================================  =======================

Beside them, the parts several questions share: ``parties`` (each party's seat, cash split
and figures: ``PartyResult``), ``owners`` (an owner's areas combined), ``stream`` and
``portfolio_stream`` (runs too large to keep their months), ``passes`` (which way a streamed
portfolio runs).

Every result carries one :class:`~pbr_model.analyses.base.Provenance` and follows
:class:`~pbr_model.analyses.base.Result` (``to_dict``, ``tables``).
"""
