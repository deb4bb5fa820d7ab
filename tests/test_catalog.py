import json
from pathlib import Path

import pytest

from emswebhook_gui import catalog
from tests.conftest import TEST_DATA


def test_product_catalogue_equals_the_reference_transcription():
    reference = json.loads((TEST_DATA / "ems-event-catalog.json").read_text(encoding="utf-8"))
    ours = json.loads((Path(catalog.__file__).with_name("events.json")).read_text())
    assert ours == reference
    assert len(catalog.events()) == 62
    assert [(e.entity, e.operation, e.name, list(e.activities)) for e in catalog.events()] == [
        (e["entity"], e["operation"], e["event"], e["activities"]) for e in reference["events"]
    ]


def test_conditions_allowed_only_for_four_events():
    allowed = [e.name for e in catalog.events() if e.allows_conditions]
    assert allowed == ["Entitlement Added", "Entitlement Updated", "Activation Added", "Activation Updated"]
    assert catalog.condition_attributes("Namespace Added") == ()


def test_lookups_are_exact_and_suggest_the_near_miss():
    assert catalog.get_event("Entitlement Added").activities[0] == "Add Entitlement"
    assert catalog.get_event("entitlement added") is None
    assert catalog.suggest_event("entitlement  added") == "Entitlement Added"
    assert catalog.suggest_event("Add entitlement") == "Entitlement Added"
    assert catalog.suggest_event("Entitlment Updated") == "Entitlement Updated"
    assert catalog.suggest_event("Something else entirely") is None
    assert catalog.suggest_activity(catalog.get_event("Entitlement Added"), "AddEntitlement") == "Add Entitlement"


def test_entities_in_table_order_with_deprecated_flag():
    entities = catalog.entities()
    assert entities[0] == "Entitlement" and "Product Suite" in entities
    assert len(entities) == len(set(entities))
    assert catalog.get_event("Product Suite Added").deprecated
    assert not catalog.get_event("Product Added").deprecated


@pytest.mark.parametrize(
    ("event", "activity", "deletes"),
    [
        ("Entitlement Updated", "Delete Entitlement", True),
        ("Customer Updated", "Delete Customer", True),
        ("Contact Updated", "Delete Contact", True),
        ("Customer Updated", "Delete Associated Contact", False),
        ("Product Updated", "Delete Entitlement", False),  # the product still exists
        ("Partner Updated", "Delete Partner User", False),
        ("Partner Updated", "Delete Partner", True),
        ("Entitlement Updated", "Update Entitlement", False),
    ],
)
def test_deleting_activities(event, activity, deletes):
    assert catalog.get_event(event).deletes_subject(activity) is deletes


def _resolve(state, path):
    """Walk a catalogue path (only '.key' and '[*]' occur there) and collect the values."""
    values = [state]
    for part in path.replace("[*]", ".[*]").split("."):
        nxt = []
        for value in values:
            if part == "[*]" and isinstance(value, list):
                nxt.extend(value)
            elif isinstance(value, dict) and part in value:
                nxt.append(value[part])
        values = nxt
    return values


@pytest.mark.parametrize("event", ["Entitlement Added", "Entitlement Updated", "Activation Added", "Activation Updated"])
def test_every_attribute_path_resolves_in_the_sample_state(event, sample_state):
    state = sample_state("entitlement" if event.startswith("Entitlement") else "activation")
    attributes = catalog.condition_attributes(event)
    labels = [a.label for a in attributes]
    assert len(labels) == len(set(labels))
    for attribute in attributes:
        values = _resolve(state, attribute.path)
        assert values and all(not isinstance(v, (dict, list)) for v in values), attribute


def test_source_labels_map_to_the_source_paths():
    paths = {a.label: a.path for a in catalog.condition_attributes("Entitlement Added")}
    assert paths["Customer Name"] == "entitlement.customer.name"
    assert paths["Entitlement State"] == "entitlement.state"
    assert paths["User ExternalId"] == "entitlement.contact.externalId"
    assert paths["Product Name"] == "entitlement.productKeys.productKey[*].item.itemProduct.product.nameVersion.name"
    for label in ("Customer Identifier", "Customer ExternalId", "Market Group Name", "Channel Partner Name",
                  "Product Version", "Product Key Id", "Entitlement Id", "Entitlement EID",
                  "Entitlement RefId1", "Entitlement RefId2"):
        assert label in paths
    activation = {a.label for a in catalog.condition_attributes("Activation Updated")}
    assert {"Activation State", "Activatee Email"} <= activation
    assert catalog.attribute_label("Entitlement Added", "entitlement.state") == "Entitlement State"
    assert catalog.attribute_label("Entitlement Added", "entitlement.unknown") is None
