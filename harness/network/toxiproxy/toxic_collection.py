"""A proxy's toxics: one chain per direction, and the live links they are applied to.

Follows toxic_collection.go: JSON decoding rules and defaults (downstream, toxicity 1, name
``<type>_<stream>``), the error for each bad input, and every change spliced into open links.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from harness.network.toxiproxy import errors, go_json
from harness.network.toxiproxy.toxics import REGISTRY, Toxic

if TYPE_CHECKING:
    from harness.network.toxiproxy.link import Link

DIRECTIONS = ("upstream", "downstream")

# The structs the real server decodes a toxic into (their Go names appear in error messages).
_WRAPPER = go_json.Struct(
    "ToxicWrapper",
    "toxics.ToxicWrapper",
    {
        "attributes": go_json.Struct("NoopToxic", "toxics.NoopToxic", {}),
        "name": "string",
        "type": "string",
        "stream": "string",
        "toxicity": "float32",
    },
)
_UPDATE_GO_TYPE = 'struct { Attributes interface {} "json:\\"attributes\\""; Toxicity float32 "json:\\"toxicity\\"" }'


def _attributes_struct(toxic: Toxic) -> go_json.Struct:
    return go_json.Struct(toxic.struct_name, f"toxics.{toxic.struct_name}", dict(toxic.fields))


class ToxicWrapper:
    """A toxic as the API sees it: its name, type, stream, toxicity and attributes."""

    def __init__(self, name: str, type_name: str, stream: str, toxicity: float, toxic: Toxic) -> None:
        self.name = name
        self.type = type_name
        self.stream = stream  # as the client spelled it ("UPSTREAM" is accepted and echoed)
        self.direction = stream.lower()
        self.toxicity = toxicity
        self.toxic = toxic

    def to_json(self) -> dict[str, Any]:
        return {
            "attributes": self.toxic.attributes(),
            "name": self.name,
            "type": self.type,
            "stream": self.stream,
            "toxicity": go_json.float32_value(self.toxicity),
        }


class ToxicCollection:
    def __init__(self) -> None:
        self.chain: dict[str, list[ToxicWrapper]] = {direction: [] for direction in DIRECTIONS}
        self.links: set[Link] = set()
        self.lock = asyncio.Lock()

    def toxics(self) -> list[ToxicWrapper]:
        return [wrapper for direction in DIRECTIONS for wrapper in self.chain[direction]]

    def find(self, name: str) -> ToxicWrapper | None:
        return next((wrapper for wrapper in self.toxics() if wrapper.name == name), None)

    def _links(self, direction: str) -> list[Link]:
        return [link for link in self.links if link.direction == direction]

    async def add_json(self, body: bytes) -> ToxicWrapper:
        async with self.lock:
            value = _decode(body)
            fields: dict[str, Any] = {"stream": "downstream", "toxicity": 1.0, "name": "", "type": ""}
            error = go_json.decode_into(value, _WRAPPER, fields)
            if error:
                raise errors.BAD_REQUEST_BODY.wrap(error)
            stream = fields["stream"]
            if stream.lower() not in DIRECTIONS:
                raise errors.INVALID_STREAM
            name = fields["name"] or f"{fields['type']}_{stream}"
            toxic_class = REGISTRY.get(fields["type"])
            if toxic_class is None:
                raise errors.INVALID_TOXIC_TYPE
            if self.find(name) is not None:
                raise errors.TOXIC_ALREADY_EXISTS
            toxic = toxic_class()
            attributes = toxic.attributes()
            raw = {key: item for key, item in value.items() if key.lower() == "attributes"}
            error = go_json.decode_into(
                raw, go_json.Struct("", "", {"attributes": _attributes_struct(toxic)}), {"attributes": attributes}
            )
            if error:
                raise errors.BAD_REQUEST_BODY.wrap(error)
            toxic.set_attributes(attributes)
            wrapper = ToxicWrapper(name, fields["type"], stream, float(fields["toxicity"]), toxic)
            self.chain[wrapper.direction].append(wrapper)
            # Links without toxics take it at once; only the others need a turn of the event loop.
            waits = [link.add_toxic(wrapper) for link in self._links(wrapper.direction)]
            await asyncio.gather(*(wait for wait in waits if wait is not None))
            return wrapper

    async def update_json(self, name: str, body: bytes) -> ToxicWrapper:
        async with self.lock:
            wrapper = self.find(name)
            if wrapper is None:
                raise errors.TOXIC_NOT_FOUND
            value = _decode(body)
            spec = go_json.Struct(
                "", _UPDATE_GO_TYPE, {"attributes": _attributes_struct(wrapper.toxic), "toxicity": "float32"}
            )
            fields: dict[str, Any] = {"attributes": wrapper.toxic.attributes(), "toxicity": wrapper.toxicity}
            error = go_json.decode_into(value, spec, fields)
            # Like Go, fields decoded before a type error stay applied.
            wrapper.toxic.set_attributes(fields["attributes"])
            if error:
                raise errors.BAD_REQUEST_BODY.wrap(error)
            changed = float(fields["toxicity"]) != wrapper.toxicity
            wrapper.toxicity = float(fields["toxicity"])
            await asyncio.gather(*(link.update_toxic(wrapper, changed) for link in self._links(wrapper.direction)))
            return wrapper

    async def remove(self, name: str) -> None:
        async with self.lock:
            wrapper = self.find(name)
            if wrapper is None:
                raise errors.TOXIC_NOT_FOUND
            await self._remove(wrapper)

    async def reset(self) -> None:
        async with self.lock:
            for wrapper in self.toxics():
                await self._remove(wrapper)

    async def _remove(self, wrapper: ToxicWrapper) -> None:
        self.chain[wrapper.direction].remove(wrapper)
        await asyncio.gather(*(link.remove_toxic(wrapper) for link in self._links(wrapper.direction)))


def _decode(body: bytes) -> Any:
    try:
        return go_json.loads(body)
    except go_json.GoJSONError as exc:
        raise errors.BAD_REQUEST_BODY.wrap(str(exc)) from None
