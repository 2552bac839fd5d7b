"""Page objects of the flow suite: one class per page or region (see pages/base.py for the rules).

Owner pages: InboxPage, ConversationPage, CompliancePage, DashboardPage, CatalogPage, AppointmentsPage,
BillingPage, CheckoutSuccessPage. Public pages: LoginPage, the booking page's steps (OffersPage, HeldPage,
BookedPage, HoldExpiredPage, LinkUnavailablePage) and the Stripe fake's HostedCheckoutPage. Regions:
NavigationRegion, BannerRegion, ErrorPage. Journeys across pages: pages.flows.
"""

from pages.appointments import AppointmentsPage
from pages.banners import BILLING_BANNER_TEST_ID, COMPLIANCE_BANNER_TEST_ID, BannerRegion
from pages.base import BasePage
from pages.billing import BillingPage, CheckoutSuccessPage
from pages.booking_page import BookedPage, BookingStep, HeldPage, HoldExpiredPage, LinkUnavailablePage, OffersPage
from pages.catalog import CatalogPage
from pages.checkout import HostedCheckoutPage
from pages.compliance import CompliancePage
from pages.conversation import ConversationPage
from pages.dashboard import DashboardPage
from pages.errors import ErrorPage
from pages.inbox import InboxPage
from pages.login import LoginPage
from pages.navigation import NavigationRegion
from pages.region import Region

__all__ = [
    "BILLING_BANNER_TEST_ID",
    "COMPLIANCE_BANNER_TEST_ID",
    "AppointmentsPage",
    "BannerRegion",
    "BasePage",
    "BillingPage",
    "BookedPage",
    "BookingStep",
    "CatalogPage",
    "CheckoutSuccessPage",
    "CompliancePage",
    "ConversationPage",
    "DashboardPage",
    "ErrorPage",
    "HeldPage",
    "HoldExpiredPage",
    "HostedCheckoutPage",
    "InboxPage",
    "LinkUnavailablePage",
    "LoginPage",
    "NavigationRegion",
    "OffersPage",
    "Region",
]
