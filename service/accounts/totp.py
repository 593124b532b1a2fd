"""The second factor: TOTP secrets (RFC 6238), checking codes without replay, and the set-up QR code drawn on the server."""

import hmac
from datetime import datetime

import pyotp
import segno

ISSUER = "Operation Encompass"
STEP_SECONDS = 30
# One step either side forgives a phone clock that is up to 30 seconds out.
TOLERATED_STEPS = 1


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits, as RFC 4226 recommends


def current_code(secret: str, now: datetime) -> str:
    return pyotp.TOTP(secret).at(now)


def matching_step(secret: str | None, code: str, now: datetime, *, last_used_step: int | None) -> int | None:
    """The time step the code belongs to, if it is right and newer than the last code used; else None."""
    code = "".join(code.split())
    if not secret or len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in range(current - TOLERATED_STEPS, current + TOLERATED_STEPS + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code) and (last_used_step is None or step > last_used_step):
            return step
    return None


def grouped(secret: str) -> str:
    """'JBSW Y3DP …': easier to type into an app by hand, in groups of four."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_code_svg(uri: str) -> str:
    """Inline SVG, drawn here: the secret must never be sent to a third-party QR service."""
    svg = segno.make(uri, error="m").svg_inline(scale=5, dark="#0b0c0c", light="#ffffff", svgclass="app-totp-qr",
                                                title="QR code for your authenticator app")
    return svg.replace("<svg ", '<svg role="img" aria-label="QR code for your authenticator app" focusable="false" ', 1)
