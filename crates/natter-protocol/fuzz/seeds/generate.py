#!/usr/bin/env python3
"""Writes the fuzz seeds in seeds/<target>/ from the wire vectors of tests/vectors.rs and
tests/vectors/sio.rs (CVE-2022-2421's placeholder indices among them). The seeds are committed;
run this again only after changing the vectors or a target's input type:

    python3 crates/natter-protocol/fuzz/seeds/generate.py

fuzz_sio_packet takes an `arbitrary` struct, so its seeds are that struct in arbitrary 1.5's
byte layout (fuzz/Cargo.lock): `cargo +nightly fuzz fmt fuzz_sio_packet <seed>` shows one.
"""

import pathlib
import shutil

HERE = pathlib.Path(__file__).resolve().parent
RS = "\x1e"  # polling record separator

HANDSHAKE = ('0{"sid":"2VAFFLQ6Ax-vEBuD","upgrades":["websocket"],"pingInterval":25000,'
             '"pingTimeout":20000,"maxPayload":100000}')

# Socket.IO packets (without the Engine.IO "4") that the reference accepts.
SIO_OK = [
    "0", '0{"token":"abc"}', '0/admin,{"token":"abc"}', '0{"sid":"wZX3oN0bSVIhsaknAAAI"}',
    "1", "1/admin,", '2["chat message","hi"]', '212["chat message","hi"]', '2/admin,13["bar"]',
    "2[1,2]", '312["ok"]', "3/admin,13[]", "318446744073709551615[]",
    '4{"message":"Not authorized"}', '4/random,{"message":"Invalid namespace"}', '4"legacy"',
    '2["é€😀",{"k":"\\u001e"}]', "1/admin", "3007[]", "4", '2 ["a"] ', '50-["a"]',
]

# Binary packets: header, then one attachment per placeholder.
SIO_BINARY = [
    ('51-["upload",{"_placeholder":true,"num":0}]', [b"\x01\x02\x03"]),
    ('52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]', [b"\x00", b"\x01"]),
    ('61-15["bar",{"_placeholder":true,"num":0}]', [b"\x00"]),
    ('61-/admin,1[{"_placeholder":true,"num":0}]', [b"\xff"]),
    ('51-/chat,3["file",{"_placeholder":true,"num":0}]', [b"\xff"]),
]

# CVE-2022-2421: placeholder indices that are not an in-range integer.
CVE_2022_2421 = [
    '51-["a",{"_placeholder":true,"num":"splice"}]',
    '51-["a",{"_placeholder":true,"num":1}]',
    '51-["a",{"_placeholder":true,"num":-1}]',
    '51-["a",{"_placeholder":true,"num":0.5}]',
    '51-["a",{"_placeholder":true}]',
    '51-["a",{"deep":[{"_placeholder":true,"num":"toString"}]}]',
    '50-["a",{"_placeholder":true,"num":0}]',
    '61-[{"_placeholder":true,"num":"__proto__"}]',
    '51-[{"_placeholder":true,"num":"splice"}]',
]

# socket.io-parser's "throws an error when ..." cases and other malformed packets.
SIO_BAD = [
    '2[{"toString":"foo"}]', '2[true,"foo"]', '2[null,"bar"]', '2["connect"]', '2["disconnect","x"]',
    '2["newListener"]', '442["some","data"', '2["a"]x', '2["a"]["b"]', "5", "51", "5a-", "51.23-",
    '5-["a"]', '5+1-["a"]', "999", "7[]", '5999999999-["a"]', '5999999999999999999999999999-["a"]',
    "318446744073709551616[]", "399999999999999999999[]", "2", "2[]", "2{}", '2"a"', "3", '3{"a":1}',
    "0[]", '0"token"', "1{}", '1/admin,"x"', "4[]", '4["a"]', "2é", "4€€", "é", '€2["a"]', "2/é,€",
    '511-["a"]', '2["a",' + "[" * 90 + "]" * 90 + "]",
]

EIO_TEXT = [
    "1", "2", "3", "2probe", "3probe", "4hello", "4", "4€", "5", "6", "bAQIDBA==", "b", "bAQIDBA",
    "7", "a", "é4", "€", "b!!!", "bé", "0", "0{}", "0[]", "0é", '0{"sid":1}', HANDSHAKE,
    '0{"sid":"a","upgrades":[],"pingInterval":1,"pingTimeout":2,"maxPayload":3,"extra":true}',
]

PAYLOADS = [
    f"4hello{RS}2{RS}4world", f"4hello{RS}bAQIDBA==", "6", "1", HANDSHAKE,
    f'451-["upload",{{"_placeholder":true,"num":0}}]{RS}bAQID',
    RS, f"4a{RS}", f"4a{RS}{RS}4b", f"4a{RS}9", f"4a{RS}b!", f"é{RS}4a", f"40{RS}42[\"chat message\",\"hi\"]",
]


class Seed:
    """arbitrary 1.5's Unstructured, written instead of read: fixed-size values and list items
    come from the front, lengths from the back (one byte each while the data is at most 256
    bytes long, which every seed here is)."""

    def __init__(self, max_attachments, max_attachment_size):
        self.front = bytearray([max_attachments]) + max_attachment_size.to_bytes(2, "little")
        self.lengths = []

    def text(self, s):
        data = s.encode()
        self.front += b"\x01" + (0).to_bytes(4, "little") + data  # keep going, variant 0
        self.lengths.append(len(data))
        return self

    def binary(self, data):
        self.front += b"\x01" + (0x60000000).to_bytes(4, "little")  # variant 1
        for byte in data:
            self.front += bytes([1, byte])
        self.front += b"\x00"
        return self

    def reset(self):
        self.front += b"\x01" + (0xC0000000).to_bytes(4, "little")  # variant 2
        return self

    def bytes(self):
        out = bytes(self.front) + bytes(reversed(self.lengths))
        assert len(out) <= 256 and all(n < 255 for n in self.lengths), "needs 2-byte lengths"
        return out


def write(target, seeds):
    folder = HERE / target
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    for i, data in enumerate(seeds):
        data = data.encode() if isinstance(data, str) else data
        (folder / f"{i:03}").write_bytes(data)


def sio_seeds():
    seeds = [Seed(10, 4096).text(t).bytes() for t in SIO_OK + SIO_BAD + CVE_2022_2421]
    for header, attachments in SIO_BINARY:
        seed = Seed(10, 4096).text(header)
        for a in attachments:
            seed.binary(a)
        seeds.append(seed.bytes())
    # The decoder's states: binary out of turn, text in the middle of a packet, reset, limits.
    seeds.append(Seed(10, 4096).binary(b"\x01").text('2["b"]').bytes())
    seeds.append(Seed(10, 4096).text('52-["a",{"_placeholder":true,"num":1}]').binary(b"\x01")
                 .text('2["b"]').binary(b"\x02").bytes())
    seeds.append(Seed(10, 4096).text('51-["a",{"_placeholder":true,"num":0}]').reset()
                 .text('2["b"]').bytes())
    seeds.append(Seed(2, 4).text('53-["a"]').text('52-["a"]').binary(b"\0" * 4)
                 .binary(b"\0" * 5).binary(b"\0").bytes())
    return seeds


# fuzz_contract: one byte choosing the payload type (see the target), then its JSON.
CONTRACT = [
    (0, '{"room":"general","client_id":"0192f0c1-7a3e-7c4e-9a4b-2f3c4d5e6f70","body":"hi"}'),
    (0, '{"room":"general","client_id":"x","body":""}'),
    (0, '["general","0192f0c1-7a3e-7c4e-9a4b-2f3c4d5e6f70","an array, refused"]'),
    (1, '{"room":"general","after_seq":0}'), (1, '{"room":"general","after_seq":3,"limit":50}'),
    (2, '{"room":"general","before_seq":70,"limit":50}'), (2, '{"room":"dm.1.2","before_seq":0}'),
    (3, '{"rooms":[{"room":"general","after_seq":0},{"room":"dm.1.2","after_seq":9}]}'),
    (4, '{"room":"release-1","topic":"Shipping on Friday"}'), (4, '{"room":"Bad Name"}'),
    (5, '{"room":"general"}'), (5, '{"room":"dm.01.2"}'),
    (6, '{"name":"ann"}'), (6, '{"name":"\u0410dmin"}'), (6, '{"name":"e\u0301l\u00e8ve"}'),
    (7, '{"room":"general","seq":12}'), (7, '{"room":"general","seq":-1,"extra":true}'),
]


def main():
    cve_in_eio = ["4" + t for t in CVE_2022_2421]
    write("fuzz_payload", PAYLOADS + cve_in_eio + [RS.join(cve_in_eio), RS.join("4" + t for t in SIO_BAD[:20])])
    write("fuzz_eio_packet", EIO_TEXT + cve_in_eio + ["4" + t for t in SIO_OK] +
          [b"\x01\x02\x03\x04", b"\xff\xfe\x00", b"4" + b"2\xc3\x28"])
    write("fuzz_sio_packet", sio_seeds())
    write("fuzz_contract", [bytes([which]) + json.encode() for which, json in CONTRACT])


if __name__ == "__main__":
    main()
