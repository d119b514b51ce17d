import { test } from "node:test";
import assert from "node:assert/strict";
import { ParticipantStreams, SlotBook } from "../../../web_client/call/slots.js";

const slot = (mid, kind, participant_id, source = participant_id ? "camera" : null) => ({ mid, kind, participant_id, source });

/** A stand-in for MediaStream: the tracks it was made with. */
const makeStream = (tracks) => ({ tracks: [...tracks] });

test("each participant's tracks come from the slots that carry them, whatever the mid", () => {
  const book = new SlotBook("me");
  book.setSlots([slot("0", "audio", "ana"), slot("1", "video", "ana"), slot("2", "audio", "ben"), slot("3", "video", "ben"), slot("4", "video", "ana", "screen")]);
  for (const mid of ["0", "1", "2", "3", "4"]) book.setTrack(mid, `t${mid}`);
  const carried = book.byParticipant();
  assert.deepEqual(carried.get("ana"), { audio: "t0", camera: "t1", screen: "t4" });
  assert.deepEqual(carried.get("ben"), { audio: "t2", camera: "t3", screen: null });
  assert.equal(book.participantOf("3"), "ben");
});

test("a slot named before its track (or a track before its slot) counts once both are there", () => {
  const book = new SlotBook("me");
  assert.deepEqual([...book.setTrack("5", "t5")], []);
  assert.deepEqual([...book.setSlots([slot("5", "video", "ana")])], ["ana"]);
  assert.deepEqual([...book.setSlots([slot("5", "video", "ana"), slot("6", "video", "ben")])], []); // no track on 6 yet
  assert.deepEqual([...book.setTrack("6", "t6")], ["ben"]);
});

test("a slot that changes participant moves its track: both people are reported changed", () => {
  const book = new SlotBook("me");
  book.setSlots([slot("1", "video", "ana"), slot("2", "video", null)]);
  book.setTrack("1", "t1");
  book.setTrack("2", "t2");
  const changed = book.setSlots([slot("1", "video", "cem"), slot("2", "video", "ana")]);
  assert.deepEqual([...changed].sort(), ["ana", "cem"]);
  assert.deepEqual(book.byParticipant().get("cem"), { audio: null, camera: "t1", screen: null });
  assert.deepEqual(book.byParticipant().get("ana"), { audio: null, camera: "t2", screen: null });
  // the same map again changes nobody
  assert.equal(book.setSlots([slot("1", "video", "cem"), slot("2", "video", "ana")]).size, 0);
});

test("a slot that names me, or nobody, carries nothing", () => {
  const book = new SlotBook("me");
  book.setSlots([slot("1", "video", "me"), slot("2", "audio", null)]);
  book.setTrack("1", "t1");
  book.setTrack("2", "t2");
  assert.equal(book.byParticipant().size, 0);
  assert.equal(book.carries("me"), false);
});

test("media has arrived once a count grows after the slot took the person, not before", () => {
  const book = new SlotBook("me");
  book.setSlots([slot("0", "audio", "ana"), slot("1", "video", "ana"), slot("2", "audio", "ben")]);
  // The first count after the slot took them is the baseline: frames of whoever it carried before
  // do not count.
  book.observe(new Map([["0", 50], ["1", 30], ["2", 10]]), 1000);
  assert.equal(book.arrivedFor("ana", 1000), -1);
  // Ana has a camera slot: her audio alone is not enough.
  book.observe(new Map([["0", 80], ["1", 30], ["2", 25]]), 1500);
  assert.equal(book.arrivedFor("ana", 1500), -1);
  assert.equal(book.arrivedFor("ben", 1500), 0); // audio only: packets count
  book.observe(new Map([["1", 31]]), 2000);
  assert.equal(book.arrivedFor("ana", 2600), 600);
  // Ana's camera moves to another slot: she has to arrive again there.
  book.setSlots([slot("0", "audio", "ana"), slot("3", "video", "ana"), slot("2", "audio", "ben")]);
  assert.equal(book.arrivedFor("ana", 3000), -1);
  assert.equal(book.arrivedFor("ben", 3000), 1500);
  book.observe(new Map([["3", 100]]), 3100);
  book.observe(new Map([["3", 101]]), 3600);
  assert.equal(book.arrivedFor("ana", 3600), 0);
});

test("a participant's streams are made again only when their tracks change", () => {
  const streams = new ParticipantStreams(makeStream);
  const first = streams.update("ana", { audio: "a", camera: "v", screen: null });
  assert.deepEqual(first.camera, { tracks: ["a", "v"] });
  assert.equal(first.screen, null);
  const same = streams.update("ana", { audio: "a", camera: "v", screen: null });
  assert.equal(same.camera, first.camera);
  const shared = streams.update("ana", { audio: "a", camera: "v", screen: "s" });
  assert.equal(shared.camera, first.camera); // sharing does not disturb the camera tile
  assert.deepEqual(shared.screen, { tracks: ["s"] });
  const moved = streams.update("ana", { audio: "a", camera: "v2", screen: "s" });
  assert.notEqual(moved.camera, first.camera);
  assert.deepEqual(moved.camera, { tracks: ["a", "v2"] });
  assert.deepEqual(streams.update("ana", undefined), { camera: null, screen: null });
  assert.deepEqual(streams.get("ana"), { camera: null, screen: null });
});
