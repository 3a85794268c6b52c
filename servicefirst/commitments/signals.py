"""Signals of the commitments engine.

`case_breached` is sent once the transaction that breached the cases has committed, with
`case_ids` (a list of Case ids, each sent once). The engine sends it for breaches that happened
within COMMITMENTS_ALERT_MAX_AGE_S (24 h) of the moment it noticed them: a catch-up over old
history records its breaches in the attainment but does not open remedies for them (see
`engine.run_until_caught_up(alert_max_age_s=…)` to widen that, e.g. for the demo).

    from django.dispatch import receiver
    from servicefirst.commitments.signals import case_breached

    @receiver(case_breached)
    def open_remedies(sender, case_ids, **kwargs): ...
"""

from django.dispatch import Signal

case_breached = Signal()  # kwargs: case_ids: list[int]
