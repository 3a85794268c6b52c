"""Events other capabilities listen to, so the customer database does not import them.

`customer_changed` is sent after the transaction that changed a customer's profile,
holdings, consents or merge commits (receivers get `customer_id`); customer insight
reclassifies the customer on it."""

import logging

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)
customer_changed = Signal()


def _send(customer_id: int) -> None:
    # The change is already committed: a failing listener is logged, never undoes it.
    for receiver, result in customer_changed.send_robust(sender=None, customer_id=customer_id):
        if isinstance(result, Exception):
            logger.error(
                "customer_changed listener %s failed for customer %s",
                receiver,
                customer_id,
                exc_info=result,
            )


def customer_changed_on_commit(customer_id: int) -> None:
    transaction.on_commit(lambda: _send(customer_id))
