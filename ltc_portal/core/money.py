"""Money helpers: amounts are Decimal with an ISO 4217 currency code beside them, never float."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

# Active ISO 4217 codes (2024 list, funds and precious metals left out).
ISO_4217 = frozenset(
    [
        "AED",
        "AFN",
        "ALL",
        "AMD",
        "ANG",
        "AOA",
        "ARS",
        "AUD",
        "AWG",
        "AZN",
        "BAM",
        "BBD",
        "BDT",
        "BGN",
        "BHD",
        "BIF",
        "BMD",
        "BND",
        "BOB",
        "BRL",
        "BSD",
        "BTN",
        "BWP",
        "BYN",
        "BZD",
        "CAD",
        "CDF",
        "CHF",
        "CLP",
        "CNY",
        "COP",
        "CRC",
        "CUP",
        "CVE",
        "CZK",
        "DJF",
        "DKK",
        "DOP",
        "DZD",
        "EGP",
        "ERN",
        "ETB",
        "EUR",
        "FJD",
        "FKP",
        "GBP",
        "GEL",
        "GHS",
        "GIP",
        "GMD",
        "GNF",
        "GTQ",
        "GYD",
        "HKD",
        "HNL",
        "HTG",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "IQD",
        "IRR",
        "ISK",
        "JMD",
        "JOD",
        "JPY",
        "KES",
        "KGS",
        "KHR",
        "KMF",
        "KPW",
        "KRW",
        "KWD",
        "KYD",
        "KZT",
        "LAK",
        "LBP",
        "LKR",
        "LRD",
        "LSL",
        "LYD",
        "MAD",
        "MDL",
        "MGA",
        "MKD",
        "MMK",
        "MNT",
        "MOP",
        "MRU",
        "MUR",
        "MVR",
        "MWK",
        "MXN",
        "MYR",
        "MZN",
        "NAD",
        "NGN",
        "NIO",
        "NOK",
        "NPR",
        "NZD",
        "OMR",
        "PAB",
        "PEN",
        "PGK",
        "PHP",
        "PKR",
        "PLN",
        "PYG",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "RWF",
        "SAR",
        "SBD",
        "SCR",
        "SDG",
        "SEK",
        "SGD",
        "SHP",
        "SLE",
        "SOS",
        "SRD",
        "SSP",
        "STN",
        "SVC",
        "SYP",
        "SZL",
        "THB",
        "TJS",
        "TMT",
        "TND",
        "TOP",
        "TRY",
        "TTD",
        "TWD",
        "TZS",
        "UAH",
        "UGX",
        "USD",
        "UYU",
        "UZS",
        "VES",
        "VND",
        "VUV",
        "WST",
        "XAF",
        "XCD",
        "XCG",
        "XOF",
        "XPF",
        "YER",
        "ZAR",
        "ZMW",
        "ZWG",
    ]
)

CENT = Decimal("0.01")


def validate_currency(value: str) -> None:
    if value not in ISO_4217:
        raise ValidationError(
            _("%(value)s is not an ISO 4217 currency code."), code="currency", params={"value": value}
        )


def money_text(amount, currency: str = "") -> str:
    """An amount as a reader reads it: two decimals, thousands grouped, then the currency."""
    if amount is None:
        return "—"
    text = number_format(quantize(amount), 2, force_grouping=True)
    return f"{text} {currency}".strip()


# Enough precision for any product of two of our columns (18 + 14 digits and more): a computed amount
# never raises InvalidOperation before ``fit`` can say which field it overflows.
WIDE_PRECISION = 80


def quantize(amount: Decimal) -> Decimal:
    """Round a money amount to cents, half up (commercial rounding)."""
    with localcontext(prec=WIDE_PRECISION):
        return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def fit(value, field, *, key: str | None = None) -> Decimal:
    """``value`` (a computed Decimal: a total, a product) rounded to ``field``'s decimal places, or a
    ValidationError naming the field (``key``, else the field's name) when it does not fit the column's
    ``max_digits``. ``field`` is a model DecimalField (``Model._meta.get_field(name)``). Call it before
    a computed amount is saved, so an overflow is a 400 with the field, never a DataError."""
    places, digits = field.decimal_places, field.max_digits
    try:
        with localcontext(prec=WIDE_PRECISION):
            value = Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except (InvalidOperation, TypeError, ValueError):
        value = None
    if value is None or not value.is_finite() or abs(value) >= Decimal(10) ** (digits - places):
        raise ValidationError(
            {
                key or field.name: [
                    _("The %(field)s would be %(value)s, more than this field holds (%(digits)s digits).")
                    % {
                        "field": field.verbose_name,
                        "value": "∞" if value is None else f"{value:,}",
                        "digits": digits - places,
                    }
                ]
            },
            code="overflow",
        )
    return value


class MoneyField(models.DecimalField):
    """A non-negative money amount; always paired with a CurrencyField on the model."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 18)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("validators", [MinValueValidator(Decimal("0"))])
        super().__init__(*args, **kwargs)


class CurrencyField(models.CharField):
    """ISO 4217 currency code (upper case, three letters)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 3)
        kwargs.setdefault("validators", [validate_currency])
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("validators", None)
        return name, path, args, kwargs

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return value.upper() if isinstance(value, str) else value


def default_currency() -> str:
    """The company's base currency (setting BASE_CURRENCY), the default for new amounts."""
    return settings.BASE_CURRENCY


def split_by_largest_remainder(total: Decimal, shares: dict[int, Decimal]) -> dict[int, Decimal]:
    """``total`` split in proportion to ``shares``, in cents, adding up to ``total`` exactly: each gets
    the floor of its exact part; the cents left go one each to the largest remainders (ties: the
    smaller key first)."""
    whole = sum(shares.values(), Decimal(0))
    cents = int((total / CENT).to_integral_value())
    exact = {k: Decimal(cents) * v / whole for k, v in shares.items()}
    floors = {k: int(e) for k, e in exact.items()}
    left = cents - sum(floors.values())
    for k in sorted(exact, key=lambda k: (-(exact[k] - floors[k]), k))[:left]:
        floors[k] += 1
    return {k: Decimal(c) * CENT for k, c in floors.items()}
