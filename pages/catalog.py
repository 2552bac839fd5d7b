"""The owner's Catalog page: the services the assistant quotes, and the form to add or edit one."""

from __future__ import annotations

from playwright.sync_api import Locator, expect

from pages.base import BasePage

CATALOG_ROW_TEST_ID = "catalog-row"
ITEM_PRICE_TEST_ID = "item-price"
ITEM_STATUS_TEST_ID = "item-status"
CATALOG_NOTICE_TEST_ID = "catalog-notice"


class CatalogPage(BasePage):
    path = "/catalog"
    heading_name = "Catalog"
    title = "Catalog"

    @property
    def rows(self) -> Locator:
        return self.page.get_by_test_id(CATALOG_ROW_TEST_ID)

    def row_for(self, name: str) -> Locator:
        return self.rows.filter(has=self.page.get_by_text(name, exact=True))

    # --- the add / edit form -------------------------------------------------------------------
    @property
    def name_field(self) -> Locator:
        return self.page.get_by_label("Name", exact=True)

    @property
    def aliases_field(self) -> Locator:
        return self.page.get_by_label("Other words customers use")

    @property
    def price_field(self) -> Locator:
        return self.page.get_by_label("Price ($)")

    @property
    def duration_field(self) -> Locator:
        return self.page.get_by_label("Duration")

    @property
    def priority_field(self) -> Locator:
        return self.page.get_by_label("Priority")

    @property
    def error_summary(self) -> Locator:
        return self.page.get_by_role("alert")

    @property
    def notice(self) -> Locator:
        return self.page.get_by_test_id(CATALOG_NOTICE_TEST_ID)

    def fill_item(self, *, name: str, price: str, duration: str = "1 h", aliases: str = "", priority: str = "0") -> None:
        """``price`` in dollars as a person types it ("149", "149.50"); ``duration`` as the list shows it."""
        self.name_field.fill(name)
        self.aliases_field.fill(aliases)
        self.price_field.fill(price)
        self.duration_field.select_option(label=duration)
        self.priority_field.fill(priority)

    def add_item(self, *, name: str, price: str, duration: str = "1 h", aliases: str = "", priority: str = "0") -> None:
        self.fill_item(name=name, price=price, duration=duration, aliases=aliases, priority=priority)
        self.page.get_by_role("button", name="Add item").click()

    def edit_item(self, name: str) -> None:
        self.row_for(name).get_by_role("link", name=f"Edit {name}").click()
        expect(self.page.get_by_role("heading", name=f"Edit {name}")).to_be_visible()

    def save_changes(self) -> None:
        self.page.get_by_role("button", name="Save changes").click()

    def cancel_edit(self) -> None:
        """Leaves the edit form unsaved (its Cancel link), back to the list and the add form."""
        self.page.get_by_role("link", name="Cancel", exact=True).click()
        self.expect_loaded()

    def change_item(self, name: str, *, price: str | None = None, duration: str | None = None,
                    priority: str | None = None) -> None:
        """Edit -> change only the given fields -> Save changes (lands back on the list with a notice)."""
        self.edit_item(name)
        if price is not None:
            self.price_field.fill(price)
        if duration is not None:
            self.duration_field.select_option(label=duration)
        if priority is not None:
            self.priority_field.fill(priority)
        self.save_changes()
        self.expect_loaded()

    def deactivate(self, name: str) -> None:
        self.row_for(name).get_by_role("button", name=f"Deactivate {name}").click()

    def activate(self, name: str) -> None:
        self.row_for(name).get_by_role("button", name=f"Activate {name}").click()

    # --- expectations --------------------------------------------------------------------------
    def expect_names(self, names: list[str]) -> None:
        """The services listed, in order (active first, then by priority and name)."""
        expect(self.rows.get_by_role("strong")).to_have_text(names)

    def expect_item(self, name: str, *, price: str, status: str = "active") -> None:
        row = self.row_for(name)
        expect(row).to_have_count(1)
        expect(row.get_by_test_id(ITEM_PRICE_TEST_ID)).to_have_text(price)
        expect(row.get_by_test_id(ITEM_STATUS_TEST_ID)).to_have_text(status)

    def expect_field_error(self, label: str, message: str) -> None:
        """The message next to the field (and in the summary at the top of the form)."""
        field = self.page.get_by_label(label, exact=label == "Name")
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(field).to_have_accessible_description(message)  # the message under the field, read with it
        expect(self.error_summary).to_contain_text(message)

    def expect_error_count(self, count: int) -> None:
        """How many messages the summary at the top of the form lists (one per field in error), under a heading
        that agrees ("Please fix this:" for one, "these:" for more)."""
        expect(self.error_summary.get_by_role("listitem")).to_have_count(count)
        expect(self.error_summary.get_by_role("strong")).to_have_text(f"Please fix {'this' if count == 1 else 'these'}:")

    def expect_form_values(self, *, name: str, aliases: str, price: str, duration_minutes: int) -> None:
        """A refused form comes back with what the owner typed and chose."""
        expect(self.name_field).to_have_value(name)
        expect(self.aliases_field).to_have_value(aliases)
        expect(self.price_field).to_have_value(price)
        expect(self.duration_field).to_have_value(str(duration_minutes))

    def expect_editing(self, name: str) -> None:
        """The form is (still) the edit form of ``name``, not the add form."""
        expect(self.page.get_by_role("heading", name=f"Edit {name}")).to_be_visible()
        expect(self.page.get_by_role("button", name="Save changes")).to_be_visible()

    def expect_adding(self) -> None:
        """The form is the add form: empty, nothing to cancel."""
        expect(self.page.get_by_role("heading", name="Add an item")).to_be_visible()
        expect(self.page.get_by_role("button", name="Add item")).to_be_visible()
        expect(self.page.get_by_role("link", name="Cancel", exact=True)).to_have_count(0)
        expect(self.name_field).to_have_value("")

    def expect_notice(self, text: str) -> None:
        expect(self.notice).to_have_text(text)
