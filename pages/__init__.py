"""Page objects of the flow suite: one class per page or region (see pages/base.py for the rules).

Pages: LoginPage, InboxPage; regions: NavigationRegion, BannerRegion, ErrorPage;
journeys across pages: pages.flows. Each domain adds its own page module here.
"""

from pages.banners import BILLING_BANNER_TEST_ID, COMPLIANCE_BANNER_TEST_ID, BannerRegion
from pages.base import BasePage
from pages.errors import ErrorPage
from pages.inbox import InboxPage
from pages.login import LoginPage
from pages.navigation import NavigationRegion
from pages.region import Region

__all__ = [
    "BILLING_BANNER_TEST_ID",
    "COMPLIANCE_BANNER_TEST_ID",
    "BannerRegion",
    "BasePage",
    "ErrorPage",
    "InboxPage",
    "LoginPage",
    "NavigationRegion",
    "Region",
]
