"""Every page and API endpoint with the permission it requires: one line per route.

A route the walk finds and this table does not list fails `test_every_route_is_declared`, so a
new page must be added here (and so to the permission matrix) before the suite passes again.

Spec: PUBLIC (no login), LOGIN (any signed-in member of staff), an Action, or a tuple of
Actions (any of them lets one in). `post=True`: the route only answers POST. Keyword
arguments fill the URL's arguments from the fixture bank (`sec_bank.ids[...]`); a value
starting with "=" is taken literally.
"""

from dataclasses import dataclass, field

from servicefirst.accounts.permissions import Action as A

PUBLIC = "public"
LOGIN = "login"


@dataclass(frozen=True)
class R:
    spec: object
    post: bool = False
    args: dict = field(default_factory=dict)
    body: dict | None = None  # API: a valid request body, so the permission check is reached
    note: str = ""
    ok: tuple = ()  # further statuses that are right for this route (readyz: 503 when not ready)
    min_scope: int = 1  # the scope the action must have here (ALL: bank-wide objects)
    denied_empty: bool = False  # a list answering [] (not 403) to a role without the action
    owner: str = ""  # a key of sec_bank.owner whose unit this route is about (no URL argument)


def r(
    spec, post=False, body=None, note="", ok=(), min_scope=1, denied_empty=False, owner="", **args
):
    return R(spec, post, args, body, note, ok, min_scope, denied_empty, owner)


ALL = 3  # Scope.ALL


CARE_FLOOR = (
    A.FLOOR_SERVE,
    A.LOBBY_WORK,
    A.FLOOR_MANAGE,
    A.CARE_MANAGE,
)  # care.services.FLOOR_ACTIONS
REPORTS = (A.LOBBY_WORK, A.FLOOR_REPORT)
CAMPAIGN_SEE = (A.CAMPAIGN_MANAGE, A.CONTACT_SUPERVISE, A.CALL_WORK)
DNC_SEE = (A.CAMPAIGN_MANAGE, A.CONTACT_SUPERVISE)
PLAN = (A.INSIGHT_VIEW,)
HISTORY = (A.INSIGHT_VIEW, A.CONTACT_SUPERVISE)

# fmt: off
PAGES: dict[str, R] = {
    # accounts
    "home":                                 r(LOGIN),
    "login":                                r(PUBLIC),
    "logout":                               r(PUBLIC, post=True, ok=(302,)),
    "set_language":                         r(PUBLIC, post=True),
    "profile":                              r(LOGIN),
    "password_change":                      r(LOGIN),
    "otp_setup":                            r(LOGIN),
    "otp_verify":                           r(LOGIN),
    "otp_remove":                           r(LOGIN, post=True),
    # operations: probes and Prometheus (metrics: by address or token, METRICS_ALLOWED_IPS)
    "ops:healthz":                          r(PUBLIC),
    "ops:readyz":                           r(PUBLIC, ok=(503,)),
    "ops:metrics":                          r(PUBLIC, note="address or token, not a login"),
    # data retention
    "privacy:retention":                    r(A.PRIVACY_MANAGE),
    "privacy:hold_place":                   r(A.PRIVACY_MANAGE, post=True),
    "privacy:hold_release":                 r(A.PRIVACY_MANAGE, post=True, hold_id="legal_hold"),
    "privacy:anonymise":                    r(A.PRIVACY_MANAGE, post=True),
    # customers
    "customers:search":                     r(A.CUSTOMER_VIEW),
    "customers:detail":                     r(A.CUSTOMER_VIEW, customer_id="customer"),
    "customers:section":                    r(A.CUSTOMER_EDIT, customer_id="customer", name="=work", body={"edit": "1"}),
    "customers:reveal":                     r(A.CUSTOMER_REVEAL, post=True, customer_id="customer", field="=phones"),
    "customers:add_interaction":            r(A.INTERACTION_ADD, post=True, customer_id="customer"),
    "customers:add_household":              r(A.CUSTOMER_EDIT, post=True, customer_id="customer", body={"relative": "@relative_number", "relation": "spouse"}),
    "customers:set_consent":                r(A.INTERACTION_ADD, post=True, customer_id="customer", body={"granted": "1", "kind": "sms", "source": "安全测试"}, note="what the customer says: interaction.add"),
    "customers:add_task":                   r(A.INTERACTION_ADD, post=True, customer_id="customer"),
    "customers:import":                     r(A.CUSTOMER_IMPORT),
    "customers:import_status":              r(A.CUSTOMER_IMPORT, job_id="import_job", note="one's own imports only"),
    "customers:export":                     r(A.CUSTOMER_EXPORT),
    # audit
    "audit:list":                           r(A.AUDIT_VIEW),
    # insights
    "insights:acceptance":                  r(A.INSIGHT_VIEW),
    "insights:drill":                       r(A.INSIGHT_VIEW, body={"figure": "funnel", "product": "dep-term-1y", "key": "offered"}),
    "insights:segments":                    r(A.SEGMENT_MANAGE),
    "insights:segment_new":                 r(A.SEGMENT_MANAGE),
    "insights:segment_preview":             r(A.SEGMENT_MANAGE, post=True),
    "insights:segment_edit":                r(A.SEGMENT_MANAGE, segment_id="segment"),
    "insights:outreach_create":             r(A.SEGMENT_MANAGE, post=True, segment_id="segment"),
    "insights:outreach":                    r(A.SEGMENT_MANAGE, outreach_id="outreach"),
    "insights:rules":                       r((A.RULE_MANAGE, A.INSIGHT_VIEW)),
    "insights:rule_new":                    r(A.RULE_MANAGE),
    "insights:rule_dry_run":                r(A.RULE_MANAGE, post=True),
    "insights:classification_start":        r(A.RULE_MANAGE, post=True),
    "insights:job":                         r(A.RULE_MANAGE, job_id="classification_job"),
    "insights:rule_edit":                   r(A.RULE_MANAGE, rule_id="insight_rule"),
    "insights:rule_move":                   r(A.RULE_MANAGE, post=True, rule_id="insight_rule"),
    # scoring
    "scoring:models":                       r(A.CUSTOMER_IMPORT, min_scope=ALL, note="bank-wide importers train the models"),
    "scoring:job_start":                    r(A.CUSTOMER_IMPORT, min_scope=ALL, post=True),
    "scoring:job":                          r(A.CUSTOMER_IMPORT, min_scope=ALL, job_id="training_job"),
    "scoring:offer_card":                   r(A.CUSTOMER_VIEW, customer_id="customer"),
    # floor: staff pages
    "floor:appointments":                   r(A.FLOOR_BOOK),
    "floor:appointments_book":              r(A.FLOOR_BOOK, post=True),
    "floor:appointments_check_in":          r(A.FLOOR_BOOK, post=True, appointment_id="appointment"),
    "floor:appointments_cancel":            r(A.FLOOR_BOOK, post=True, appointment_id="appointment"),
    "floor:teller":                         r(A.FLOOR_SERVE),
    "floor:teller_waiting":                 r(A.FLOOR_SERVE),
    "floor:teller_sign_in":                 r(A.FLOOR_SERVE, post=True),
    "floor:teller_sign_out":                r(A.FLOOR_SERVE, post=True),
    "floor:teller_call":                    r(A.FLOOR_SERVE, post=True),
    "floor:teller_pause":                   r(A.FLOOR_SERVE, post=True),
    "floor:teller_resume":                  r(A.FLOOR_SERVE, post=True),
    "floor:teller_serve":                   r(A.FLOOR_SERVE, ticket_id="waiting_ticket", ok=(404,), note="404 unless seated at a counter of the ticket's branch"),
    "floor:teller_recall":                  r(A.FLOOR_SERVE, post=True, ticket_id="ticket"),
    "floor:teller_no_show":                 r(A.FLOOR_SERVE, post=True, ticket_id="ticket"),
    "floor:teller_transfer":                r(A.FLOOR_SERVE, post=True, ticket_id="ticket"),
    "floor:teller_finish":                  r(A.FLOOR_SERVE, post=True, ticket_id="ticket"),
    "floor:teller_offer":                   r(A.FLOOR_SERVE, post=True, ticket_id="ticket"),
    # floor: public (kiosk, booking, waiting-room display)
    "floor:book":                           r(PUBLIC),
    "floor:book_cancel":                    r(PUBLIC),
    "floor:book_done":                      r(PUBLIC, reference="appointment_reference"),
    "floor:kiosk":                          r(PUBLIC, branch_code="branch"),
    "floor:kiosk_services":                 r(PUBLIC, branch_code="branch"),
    "floor:kiosk_check_in":                 r(PUBLIC, post=True, branch_code="branch"),
    "floor:kiosk_ticket":                   r(PUBLIC, branch_code="branch", token="ticket_token"),
    "floor:display":                        r(PUBLIC, branch_code="branch"),
    "floor:display_state":                  r(PUBLIC, branch_code="branch"),
    # dispatch
    "dispatch:board":                       r(A.FLOOR_MANAGE, branch_code="branch"),
    "dispatch:settings":                    r(A.FLOOR_MANAGE, branch_code="branch"),
    "dispatch:live":                        r(A.FLOOR_MANAGE, branch_code="branch"),
    "dispatch:actions":                     r(A.FLOOR_MANAGE, branch_code="branch"),
    "dispatch:act":                         r(A.FLOOR_MANAGE, post=True, branch_code="branch", action="=open", body={"counter_id": "@counter"}),
    "dispatch:counter_add":                 r(A.FLOOR_MANAGE, post=True, branch_code="branch"),
    "dispatch:counter_remove":              r(A.FLOOR_MANAGE, post=True, branch_code="branch", counter_id="counter"),
    # lobby
    "lobby:home":                           r(A.LOBBY_WORK),
    "lobby:walkin":                         r(A.LOBBY_WORK, post=True),
    "lobby:today":                          r(A.LOBBY_WORK),
    "lobby:arrivals":                       r(A.LOBBY_WORK),
    "lobby:handoff":                        r(A.LOBBY_WORK),
    "lobby:overdue":                        r(A.LOBBY_WORK),
    "lobby:handoff_complete":               r(A.LOBBY_WORK, post=True, handoff_id="handoff", note="or the assigned RM"),
    "lobby:followup":                       r(A.FOLLOWUP_WORK),
    "lobby:followup_complete":              r(A.LOBBY_WORK, post=True, followup_id="followup", note="or the assigned RM"),
    "lobby:tasks":                          r(A.FOLLOWUP_WORK),
    "lobby:known":                          r(REPORTS),
    "lobby:advertising":                    r(REPORTS),
    "lobby:recognise":                      r(A.LOBBY_WORK, post=True),
    # care prompts
    "care:rules":                           r(A.CARE_MANAGE),
    "care:rule_new":                        r(A.CARE_MANAGE),
    "care:rule_edit":                       r(A.CARE_MANAGE, rule_id="care_rule", note="a bank-wide rule: ALL"),
    "care:rule_toggle":                     r(A.CARE_MANAGE, post=True, rule_id="care_rule"),
    "care:today":                           r(CARE_FLOOR),
    "care:resolve":                         r(CARE_FLOOR, post=True, body={"prompt_id": "@care_prompt", "status": "done"}, owner="care_prompt"),
    # reports
    "reports:branch":                       r(A.FLOOR_REPORT),
    "reports:export":                       r(A.FLOOR_REPORT),
    # staffing
    "staffing:planner":                     r(PLAN),
    "staffing:history":                     r(HISTORY),
    # the contact centre
    "dialer:campaign_list":                 r(CAMPAIGN_SEE),
    "dialer:campaign_new":                  r(A.CAMPAIGN_MANAGE),
    "dialer:campaign_detail":               r(CAMPAIGN_SEE, campaign_id="campaign"),
    "dialer:campaign_edit":                 r(A.CAMPAIGN_MANAGE, campaign_id="campaign"),
    "dialer:campaign_status":               r(A.CAMPAIGN_MANAGE, post=True, campaign_id="campaign"),
    "dialer:disposition_add":               r(A.CAMPAIGN_MANAGE, post=True, campaign_id="campaign"),
    "dialer:disposition_edit":              r(A.CAMPAIGN_MANAGE, post=True, campaign_id="campaign", disposition_id="disposition"),
    "dialer:campaign_entries":              r(CAMPAIGN_SEE, campaign_id="campaign"),
    "dialer:entries_segment":               r(A.CAMPAIGN_MANAGE, post=True, campaign_id="campaign"),
    "dialer:entries_file":                  r(A.CAMPAIGN_MANAGE, post=True, campaign_id="campaign"),
    "dialer:entries_customers":             r(A.CAMPAIGN_MANAGE, post=True, campaign_id="campaign"),
    "dialer:pick_search":                   r(A.CAMPAIGN_MANAGE, campaign_id="campaign"),
    "dialer:entry_remove":                  r(A.CAMPAIGN_MANAGE, post=True, campaign_id="campaign", entry_id="entry"),
    "dialer:dnc_list":                      r(DNC_SEE),
    "dialer:dnc_remove":                    r(A.CAMPAIGN_MANAGE, post=True, dnc_id="dnc"),
    "dialer:agent":                         r(A.CALL_WORK),
    "dialer:agent_desk":                    r(A.CALL_WORK),
    "dialer:agent_login":                   r(A.CALL_WORK, post=True),
    "dialer:agent_status":                  r(A.CALL_WORK, post=True),
    "dialer:preview_next":                  r(A.CALL_WORK, post=True),
    "dialer:preview_dial":                  r(A.CALL_WORK, post=True, entry_id="entry"),
    "dialer:preview_skip":                  r(A.CALL_WORK, post=True, entry_id="entry"),
    "dialer:callback_dial":                 r(A.CALL_WORK, post=True, callback_id="callback"),
    "dialer:call_close":                    r(A.CALL_WORK, post=True, call_id="agent_call", note="the call's own agent"),
    "dialer:call_offer":                    r(A.CALL_WORK, post=True, call_id="agent_call"),
    "dialer:call_hangup":                   r(A.CALL_WORK, post=True, call_id="agent_call"),
    "dialer:board":                         r(A.CONTACT_SUPERVISE),
    "dialer:board_live":                    r(A.CONTACT_SUPERVISE),
    "dialer:dial":                          r(A.CALL_DIAL, post=True),
    "dialer:dial_status":                   r(A.CALL_DIAL, call_id="my_call", note="only the caller's own calls"),
    # service commitments
    "commitments:register":                 r(A.COMMITMENT_VIEW),
    "commitments:public":                   r(PUBLIC),
    "commitments:new":                      r(A.COMMITMENT_MANAGE),
    "commitments:alerts":                   r(A.COMMITMENT_VIEW),
    "commitments:attainment":               r(A.COMMITMENT_VIEW),
    "commitments:attainment_csv":           r(A.COMMITMENT_VIEW),
    "commitments:at_risk":                  r(A.COMMITMENT_VIEW),
    "commitments:calendars":                r(A.COMMITMENT_VIEW),
    "commitments:calendar_new":             r(A.COMMITMENT_MANAGE, min_scope=ALL, note="calendars are bank-wide"),
    "commitments:calendar_edit":            r(A.COMMITMENT_MANAGE, min_scope=ALL, calendar_id="calendar"),
    "commitments:detail":                   r(A.COMMITMENT_VIEW, commitment_id="commitment"),
    "commitments:history":                  r(A.COMMITMENT_VIEW, commitment_id="commitment"),
    "commitments:new_version":              r(A.COMMITMENT_MANAGE, post=True, commitment_id="commitment"),
    "commitments:edit":                     r(A.COMMITMENT_MANAGE, version_id="version"),
    "commitments:comment":                  r(A.COMMITMENT_DISCUSS, post=True, version_id="version"),
    "commitments:transition":               r(A.COMMITMENT_PUBLISH, post=True, version_id="version", action="=retire"),
    # service requests
    "servicedesk:list":                     r(A.REQUEST_WORK),
    "servicedesk:new":                      r(A.REQUEST_WORK),
    "servicedesk:customer_pick":            r(A.REQUEST_WORK),
    "servicedesk:report":                   r(A.REQUEST_SUPERVISE),
    "servicedesk:report_csv":               r(A.REQUEST_SUPERVISE),
    "servicedesk:detail":                   r(A.REQUEST_WORK, pk="request"),
    "servicedesk:clocks":                   r(A.REQUEST_WORK, pk="request"),
    "servicedesk:act":                      r(A.REQUEST_WORK, post=True, pk="request", action="=note"),
    "servicedesk:transfer_act":             r(A.REQUEST_WORK, post=True, pk="transfer", action="=accept"),
    "servicedesk:public_new":               r(PUBLIC),
    "servicedesk:public_status":            r(PUBLIC, token="request_token"),
    "servicedesk:public_reply":             r(PUBLIC, post=True, token="request_token"),
    # remedies
    "remedies:queue":                       r(A.REMEDY_WORK),
    "remedies:detail":                      r(A.REMEDY_WORK, remedy_id="remedy"),
    "remedies:reason":                      r(A.REMEDY_WORK, post=True, remedy_id="remedy"),
    "remedies:apologise":                   r(A.REMEDY_WORK, post=True, remedy_id="remedy"),
    "remedies:gift":                        r(A.REMEDY_WORK, post=True, remedy_id="remedy"),
    "remedies:close":                       r(A.REMEDY_WORK, post=True, remedy_id="remedy"),
    "remedies:approvals":                   r((A.REMEDY_APPROVE, A.GIFT_MANAGE)),
    "remedies:decide":                      r(A.REMEDY_APPROVE, post=True, grant_id="grant"),
    "remedies:gifts":                       r(A.GIFT_MANAGE),
    "remedies:stock_add":                   r(A.GIFT_MANAGE, post=True),
    "remedies:budget_set":                  r(A.GIFT_MANAGE, post=True),
    "remedies:report":                      r(A.REMEDY_WORK),
    # satisfaction
    "satisfaction:overview":                r(A.SATISFACTION_VIEW),
    "satisfaction:unit":                    r(A.SATISFACTION_VIEW, code="unit"),
    "satisfaction:staff":                   r(A.SATISFACTION_VIEW, pk="staff_member"),
    "satisfaction:care_center":             r(A.SATISFACTION_VIEW, owner="care_center"),
    "satisfaction:invitation":              r(A.SATISFACTION_VIEW, pk="invitation", note="or the staff who served"),
    "satisfaction:survey":                  r(PUBLIC, token="survey_token"),
    # culture
    "culture:home":                         r(LOGIN),
    "culture:questionnaires":               r(A.CULTURE_MANAGE),
    "culture:questionnaire_new":            r(A.CULTURE_MANAGE),
    "culture:questionnaire_edit":           r(A.CULTURE_MANAGE, questionnaire_id="questionnaire"),
    "culture:question_new":                 r(A.CULTURE_MANAGE, min_scope=ALL, questionnaire_id="questionnaire", note="a bank-wide questionnaire"),
    "culture:question_edit":                r(A.CULTURE_MANAGE, min_scope=ALL, questionnaire_id="questionnaire", question_id="question"),
    "culture:question_delete":              r(A.CULTURE_MANAGE, min_scope=ALL, post=True, question_id="question"),
    "culture:assign":                       r(A.CULTURE_MANAGE, post=True, questionnaire_id="questionnaire"),
    "culture:assignment_delete":            r(A.CULTURE_MANAGE, post=True, assignment_id="assignment"),
    "culture:invite":                       r(A.CULTURE_MANAGE, questionnaire_id="questionnaire"),
    "culture:results":                      r(A.CULTURE_MANAGE),
    "culture:result_detail":                r(A.CULTURE_MANAGE, response_id="candidate_response"),
    "culture:candidate_renew":              r(A.CULTURE_MANAGE, post=True, response_id="candidate_response"),
    "culture:report":                       r(A.CULTURE_MANAGE),
    "culture:report_csv":                   r(A.CULTURE_MANAGE),
    "culture:training":                     r(LOGIN),
    "culture:take":                         r(LOGIN, post=True, questionnaire_id="questionnaire"),
    "culture:my_response":                  r(LOGIN, response_id="response", note="only one's own"),
    "culture:my_commitments":               r(LOGIN),
    "culture:confirm":                      r(LOGIN, post=True, version_id="version"),
    "culture:confirm_all":                  r(LOGIN, post=True),
    "culture:candidate_done":               r(PUBLIC),
    "culture:candidate":                    r(PUBLIC, token="candidate_token"),
}

# The HTTP API: "METHOD /api/path" as the OpenAPI schema names it.
API: dict[str, R] = {
    "GET /api/me":                                          r(LOGIN),
    "GET /api/staff":                                       r(A.STAFF_VIEW, denied_empty=True),
    "GET /api/units":                                       r(LOGIN),
    "GET /api/customers":                                   r(A.CUSTOMER_VIEW, body={"q": "安全"}),
    "POST /api/customers":                                  r(A.CUSTOMER_CREATE, body={"name_zh": "接口测"}),
    "GET /api/customers/{customer_id}":                     r(A.CUSTOMER_VIEW, customer_id="customer"),
    "PATCH /api/customers/{customer_id}":                   r(A.CUSTOMER_EDIT, customer_id="customer", body={"occupation": "教师"}),
    "POST /api/customers/{customer_id}/reveal":             r(A.CUSTOMER_REVEAL, customer_id="customer", body={"field": "phones"}),
    "POST /api/customers/{customer_id}/consents":           r(A.CUSTOMER_EDIT, customer_id="customer", body={"kind": "marketing_sms", "granted": True, "source": "test"}),
    "POST /api/customers/{customer_id}/interactions":       r(A.INTERACTION_ADD, customer_id="customer", body={"kind": "note", "summary": "安全测试"}),
    "POST /api/customers/{customer_id}/household":          r(A.CUSTOMER_EDIT, customer_id="customer", body={"relative_id": 0, "relation": "spouse"}),
    "POST /api/customers/merge":                            r(A.CUSTOMER_MERGE, body={"survivor_id": "@customer", "duplicate_id": "@relative"}),
    "POST /api/insights/segments/preview":                  r(A.SEGMENT_MANAGE, body={"definition": []}),
    "POST /api/insights/segments":                          r(A.SEGMENT_MANAGE, body={"name": "安全测试", "definition": []}),
    "GET /api/insights/segments":                           r((A.SEGMENT_MANAGE, A.INSIGHT_VIEW)),
    "GET /api/insights/segments/{segment_id}/members":      r(A.SEGMENT_MANAGE, segment_id="segment"),
    "POST /api/insights/segments/{segment_id}/outreach":    r(A.SEGMENT_MANAGE, segment_id="segment", body={"purpose": "安全测试", "channel": "phone"}),
    "GET /api/insights/funnel":                             r(A.INSIGHT_VIEW),
    "GET /api/insights/drill":                              r(A.INSIGHT_VIEW, body={"figure": "funnel", "product": "dep-term-1y", "key": "offered"}),
    "GET /api/insights/rules":                              r((A.RULE_MANAGE, A.INSIGHT_VIEW)),
    "POST /api/insights/rules":                             r(A.RULE_MANAGE, body={"target": "lifecycle", "outcome": "x", "conditions": [], "reason_zh": "测", "reason_en": "t"}),
    "PUT /api/insights/rules/{rule_id}":                    r(A.RULE_MANAGE, rule_id="insight_rule", body={"target": "lifecycle", "outcome": "x", "conditions": [], "reason_zh": "测", "reason_en": "t"}),
    "POST /api/insights/classification":                    r(A.RULE_MANAGE),
    "GET /api/insights/classification/{job_id}":            r(A.RULE_MANAGE, job_id="classification_job"),
    "POST /api/insights/offers":                            r(A.INTERACTION_ADD, body={"customer_id": 0, "product": "dep-term-1y", "stage": "offered"}),
    "GET /api/scoring/customers/{customer_id}/next-best-offer": r(A.CUSTOMER_VIEW, customer_id="customer"),
    "POST /api/scoring/call-list/order":                    r(A.CUSTOMER_VIEW, body={"product_code": "dep-term-1y", "customer_ids": []}),
    "POST /api/floor/branches/{branch_code}/tickets":       r(PUBLIC, branch_code="branch", body={"service": "x"}),
    "GET /api/floor/branches/{branch_code}/queue":          r(PUBLIC, branch_code="branch"),
    "GET /api/floor/branches/{branch_code}/slots":          r(PUBLIC, branch_code="branch", body={"service": "@service_code", "day": "@tomorrow"}),
    "POST /api/floor/appointments":                         r(PUBLIC, body={"branch": "bj-cy", "service": "x", "slot_start": "2026-01-05T10:00:00+08:00", "name": "测", "phone": "13800000000"}),
    "GET /api/contact/campaigns":                           r(CAMPAIGN_SEE),
    "GET /api/contact/campaigns/{campaign_id}":             r(CAMPAIGN_SEE, campaign_id="campaign"),
    "POST /api/contact/campaigns":                          r(A.CAMPAIGN_MANAGE, body={"name": "安全测试"}),
    "PATCH /api/contact/campaigns/{campaign_id}":           r(A.CAMPAIGN_MANAGE, campaign_id="campaign", body={"purpose": "安全测试"}),
    "POST /api/contact/campaigns/{campaign_id}/entries":    r(A.CAMPAIGN_MANAGE, campaign_id="campaign", body={"customer_ids": []}),
    "POST /api/contact/campaigns/{campaign_id}/status":     r(A.CAMPAIGN_MANAGE, campaign_id="campaign", body={"action": "pause"}),
    "GET /api/commitments/":                                r(PUBLIC),
    "POST /api/commitments/events":                         r(A.COMMITMENT_VIEW, body={"kind": "x", "subject": "s", "occurred_at": "2026-01-05T10:00:00+08:00", "source_key": "sec-1"}),
    "GET /api/commitments/{code}":                          r(PUBLIC, code="commitment_code"),
    "GET /api/requests":                                    r(A.REQUEST_WORK, denied_empty=True),
    "POST /api/requests":                                   r(A.REQUEST_WORK, body={"kind": "enquiry", "category": "x", "channel": "phone", "subject": "安全测试"}),
    "GET /api/requests/{request_id}":                       r(A.REQUEST_WORK, request_id="request"),
    "POST /api/requests/{request_id}/reply":                r(A.REQUEST_WORK, request_id="request", body={"body": "安全测试"}),
    "POST /api/requests/{request_id}/resolve":              r(A.REQUEST_WORK, request_id="request", body={"resolution": "安全测试"}),
    "POST /api/requests/{request_id}/transfer":             r(A.REQUEST_WORK, request_id="request", body={"to_unit": "ccc", "reason": "安全测试"}),
}
# fmt: on
