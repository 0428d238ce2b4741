from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import PasswordField
from wtforms.validators import Length

# A PKCS#12 with a key and a chain of a few certificates is a few kilobytes.
MAX_PKCS12_BYTES = 64 * 1024


class SigningKeyForm(FlaskForm):
    archive = FileField(
        _l("PKCS#12 file (.p12 or .pfx) with the key and its certificate"),
        validators=[FileRequired(message=_l("Choose the PKCS#12 file."))],
        render_kw={"accept": ".p12,.pfx,application/x-pkcs12"},
    )
    password = PasswordField(
        _l("Its password"), validators=[Length(max=200)], render_kw={"autocomplete": "off"}
    )
