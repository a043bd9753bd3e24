"""The console's forms (Flask-WTF): every one carries a CSRF token, and validates on the server
with a message next to the field, in the user's language (WTForms' own catalogues)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Regexp

HEX_COLOUR = r"^#[0-9a-fA-F]{6}$"
MANUAL_METHODS = ("bank_transfer", "cash", "cheque", "other")


class LoginForm(FlaskForm):
    email = EmailField(validators=[DataRequired(), Length(max=320)])
    password = PasswordField(validators=[DataRequired(), Length(max=200)])


class ActionForm(FlaskForm):
    """A button that changes something (sign out, resend): only the CSRF token."""


class VoidForm(FlaskForm):
    reason = StringField(validators=[DataRequired(), Length(max=500)])


class MarkPaidForm(FlaskForm):
    amount = StringField(validators=[DataRequired(), Length(max=20)])
    reference = StringField(validators=[DataRequired(), Length(max=100)])
    method = SelectField(choices=list(MANUAL_METHODS))


class BrandingForm(FlaskForm):
    name = StringField(validators=[DataRequired(), Length(max=200)])
    brand_color = StringField(validators=[DataRequired(), Regexp(HEX_COLOUR)])
    logo = FileField()
    remove_logo = BooleanField()
