"""The console's forms (Flask-WTF): every one carries a CSRF token, and validates on the server
with a message next to the field, in the user's language (WTForms' own catalogues)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.utils import cached_property
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FieldList,
    FormField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms import Form as PlainForm
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from core.reminders import MessageKind
from core.web.console.auth import embedded_user

HEX_COLOUR = r"^#[0-9a-fA-F]{6}$"
MANUAL_METHODS = ("bank_transfer", "cash", "cheque", "other")


class ConsoleForm(FlaskForm):
    """Every console form. A request signed in by a platform's admin (the console in its
    frame) carries the platform's signed, minute-long token, which a forged cross-site request
    cannot have: that token is its CSRF proof, and no cookie is needed (an admin's frame is a
    third-party context, where browsers keep cookies away)."""

    class Meta(FlaskForm.Meta):
        @cached_property
        def csrf(self) -> bool:
            enabled = bool(current_app.config.get("WTF_CSRF_ENABLED", True))
            return enabled and embedded_user() is None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        token = getattr(self, "csrf_token", None)
        if token is not None:
            token.id = False  # several forms on a page: no two elements with one id


class LoginForm(ConsoleForm):
    email = EmailField(validators=[DataRequired(), Length(max=320)])
    password = PasswordField(validators=[DataRequired(), Length(max=200)])


class PasswordForm(ConsoleForm):
    current = PasswordField(validators=[DataRequired(), Length(max=200)])
    new = PasswordField(validators=[DataRequired(), Length(min=10, max=200)])
    again = PasswordField(validators=[DataRequired(), EqualTo("new")])


class ActionForm(ConsoleForm):
    """A button that changes something (sign out, resend): only the CSRF token."""


class VoidForm(ConsoleForm):
    reason = StringField(validators=[DataRequired(), Length(max=500)])


class MarkPaidForm(ConsoleForm):
    amount = StringField(validators=[DataRequired(), Length(max=20)])
    reference = StringField(validators=[DataRequired(), Length(max=100)])
    method = SelectField(choices=list(MANUAL_METHODS))


class BrandingForm(ConsoleForm):
    name = StringField(validators=[DataRequired(), Length(max=200)])
    brand_color = StringField(validators=[DataRequired(), Regexp(HEX_COLOUR)])
    logo = FileField()
    remove_logo = BooleanField()


class LegalForm(ConsoleForm):
    """What invoice documents say of the seller."""

    legal_name = StringField(validators=[Optional(), Length(max=200)])
    siren = StringField(validators=[Optional(), Length(max=11)])
    vat_number = StringField(validators=[Optional(), Length(max=20)])
    street = StringField(validators=[Optional(), Length(max=200)])
    postcode = StringField(validators=[Optional(), Length(max=12)])
    city = StringField(validators=[Optional(), Length(max=100)])
    legal_mentions = StringField(validators=[Optional(), Length(max=300)])
    penalty_rate = StringField(validators=[Optional(), Length(max=8)])
    attach_documents = BooleanField()


class LineForm(PlainForm):
    """One order line (a sub-form: the CSRF token is the invoice form's)."""

    label = StringField(validators=[Optional(), Length(max=500)])
    quantity = IntegerField(default=1, validators=[Optional(), NumberRange(min=1, max=1_000_000)])
    unit_price = StringField(validators=[Optional(), Length(max=20)])


class InvoiceForm(ConsoleForm):
    customer_name = StringField(validators=[DataRequired(), Length(max=200)])
    customer_email = EmailField(validators=[Optional(), Length(max=320)])
    customer_phone = StringField(validators=[Optional(), Length(max=40)])
    customer_locale = SelectField(
        choices=[SelectChoice("fr", "Français"), SelectChoice("en", "English")]
    )
    lines = FieldList(FormField(LineForm), min_entries=3, max_entries=20)
    shipping = StringField(validators=[Optional(), Length(max=20)])
    due_on = DateField(validators=[Optional()])
    reference = StringField(validators=[Optional(), Length(max=255)])


class TemplatesForm(ConsoleForm):
    sms = StringField(validators=[DataRequired(), Length(max=4000)])
    subject = StringField(validators=[DataRequired(), Length(max=4000)])
    body = StringField(validators=[DataRequired(), Length(max=4000)])


class StepForm(PlainForm):
    """One step; an unnamed row is an empty slot. The values are checked by the policy itself
    (ReminderPolicy.from_json), which names the step and what is wrong with it."""

    name = StringField(validators=[Optional(), Length(max=48)])
    anchor = SelectField(choices=["sent", "due"], validate_choice=False)
    offset = StringField(validators=[Optional(), Length(max=32)])
    channel = SelectField(choices=["auto", "sms", "email"], validate_choice=False)
    template = SelectField(
        choices=[kind.value for kind in MessageKind],
        validate_choice=False,
    )


class CartDelayForm(ConsoleForm):
    """How long a cart sits unchanged before it counts as abandoned (the bounds are the
    service's: it checks them again)."""

    minutes = IntegerField(validators=[DataRequired(), NumberRange(min=15, max=7 * 24 * 60)])


class SmsHoursForm(ConsoleForm):
    """The hours SMS go out in, in the customer's time (within 8:00-20:00: the service checks
    it again, with the order of the two)."""

    opens = IntegerField(validators=[DataRequired(), NumberRange(min=8, max=20)])
    closes = IntegerField(validators=[DataRequired(), NumberRange(min=8, max=20)])


class PolicyForm(ConsoleForm):
    steps = FieldList(FormField(StepForm), min_entries=6, max_entries=12)


class StatementForm(ConsoleForm):
    """A bank statement to import: camt (XML) or a CSV export with its bank's layout."""

    statement = FileField(validators=[DataRequired()])
    csv_profile = SelectField(validate_choice=False, validators=[Optional()])


class BankMatchForm(ConsoleForm):
    """Invoice numbers a credit pays, separated by commas or spaces, in the order to pay them."""

    invoices = StringField(validators=[DataRequired(), Length(max=400)])


class SurveyForm(ConsoleForm):
    """How customers are asked their opinion after paying."""

    mode = SelectField(validate_choice=True)
    delay_hours = IntegerField(validators=[DataRequired(), NumberRange(min=1, max=14 * 24)])


class RewardForm(ConsoleForm):
    """The thank-you code for early payers: off, or its window, discount and validity."""

    enabled = BooleanField()
    window_hours = IntegerField(default=24, validators=[DataRequired(), NumberRange(1, 168)])
    kind = SelectField(choices=["percent", "amount"], validate_choice=True, default="percent")
    value = StringField(default="10", validators=[DataRequired(), Length(max=20)])
    valid_days = IntegerField(default=30, validators=[DataRequired(), NumberRange(1, 365)])


class SpendForm(ConsoleForm):
    """A month's acquisition spend on one channel (an amount typed as people type them)."""

    month = DateField(format="%Y-%m", validators=[DataRequired()])
    channel = StringField(validators=[DataRequired(), Length(max=60)])
    amount = StringField(validators=[DataRequired(), Length(max=20)])


class ExperimentForm(ConsoleForm):
    """A new test of a reminder step: variant B's texts and how invoices are split."""

    step = SelectField(validate_choice=True)
    locale = SelectField(validate_choice=True)
    sms = StringField(validators=[Optional(), Length(max=1000)])
    subject = StringField(validators=[Optional(), Length(max=300)])
    body = StringField(validators=[Optional(), Length(max=5000)])
    b_channel = SelectField(validate_choice=True, default="")
    b_delay_hours = IntegerField(default=0, validators=[Optional(), NumberRange(0, 72)])
    b_percent = IntegerField(default=50, validators=[DataRequired(), NumberRange(1, 100)])
    holdout_percent = IntegerField(default=10, validators=[Optional(), NumberRange(0, 50)])
    window_days = IntegerField(default=14, validators=[DataRequired(), NumberRange(1, 60)])


class SplitForm(ConsoleForm):
    """A rollout's next step: B's share of the invoices assigned from now on."""

    b_percent = IntegerField(validators=[DataRequired(), NumberRange(1, 100)])


class RuleForm(ConsoleForm):
    """A billing rule: when (all given conditions) and then (the settings it decides)."""

    name = StringField(validators=[DataRequired(), Length(max=80)])
    customer_type = SelectField(validate_choice=True, default="")
    customer_tag = StringField(validators=[Optional(), Length(max=64)])
    store_id = SelectField(validate_choice=True, default="")
    sku_prefix = StringField(validators=[Optional(), Length(max=64)])
    country = StringField(validators=[Optional(), Length(min=2, max=2)])
    min_total = StringField(validators=[Optional(), Length(max=20)])
    max_total = StringField(validators=[Optional(), Length(max=20)])
    payment_terms_days = IntegerField(validators=[Optional(), NumberRange(0, 365)])
    methods = SelectMultipleField(validate_choice=True, widget=ListWidget(prefix_label=False),
                                  option_widget=CheckboxInput())  # fmt: skip
    early_discount_percent = IntegerField(validators=[Optional(), NumberRange(1, 50)])
    early_discount_hours = IntegerField(validators=[Optional(), NumberRange(1, 720)])
    channel = SelectField(validate_choice=True, default="")
    reminders = SelectField(validate_choice=True, default="")


class TryRuleForm(PlainForm):
    """A sample invoice to try the rules on (a GET form: it changes nothing)."""

    customer_type = SelectField(validate_choice=True, default="consumer")
    tag = StringField(validators=[Optional(), Length(max=64)])
    sku = StringField(validators=[Optional(), Length(max=64)])
    country = StringField(validators=[Optional(), Length(min=2, max=2)])
    total = StringField(validators=[Optional(), Length(max=20)])


class StopExperimentForm(ConsoleForm):
    promote = StringField(validators=[Optional(), Length(max=8)])
