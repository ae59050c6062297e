//! The collecting aggregates: `make_list`, `make_set`, `make_bag` (dynamic results, in input
//! order: first appearance for sets and bag keys), and the exact distinct counts `dcount` and
//! `count_distinct`.

use std::any::Any;
use std::collections::HashSet;

use serde_json::{Map, Value as Json};

use super::values::{is_null, json_memory, Key};
use super::{downcast, Accumulator};
use crate::value::Value;

/// `make_list`: every non-null value, in input order, up to `max` elements.
#[derive(Debug)]
pub(super) struct MakeList {
    max: usize,
    items: Vec<Json>,
    bytes: usize,
}

impl MakeList {
    pub(super) fn new(max: usize) -> MakeList {
        MakeList {
            max,
            items: Vec::new(),
            bytes: 0,
        }
    }

    fn push(&mut self, item: Json) {
        if self.items.len() < self.max {
            self.bytes += json_memory(&item);
            self.items.push(item);
        }
    }
}

impl Accumulator for MakeList {
    fn add(&mut self, args: &[Value]) {
        match args.first() {
            Some(value) if !is_null(value) => self.push(value.to_json()),
            _ => {}
        }
    }

    fn merge(&mut self, later: Box<dyn Accumulator>) {
        for item in downcast::<MakeList>(later).items {
            self.push(item);
        }
    }

    fn finish(&self) -> Vec<Value> {
        vec![Value::Dynamic(Json::Array(self.items.clone()))]
    }

    fn memory(&self) -> usize {
        self.bytes
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

/// `make_set`: the distinct non-null values in order of first appearance, up to `max`. A dynamic
/// array contributes its elements (the documented "set from array column" example).
#[derive(Debug)]
pub(super) struct MakeSet {
    max: usize,
    items: Vec<Json>,
    /// The compact JSON text of each item: two items are the same when their texts are.
    seen: HashSet<String>,
    bytes: usize,
}

impl MakeSet {
    pub(super) fn new(max: usize) -> MakeSet {
        MakeSet {
            max,
            items: Vec::new(),
            seen: HashSet::new(),
            bytes: 0,
        }
    }

    fn insert(&mut self, item: Json) {
        if item.is_null() || self.items.len() >= self.max {
            return;
        }
        let text = item.to_string();
        if self.seen.contains(&text) {
            return;
        }
        self.bytes += 2 * text.len() + json_memory(&item);
        self.seen.insert(text);
        self.items.push(item);
    }
}

impl Accumulator for MakeSet {
    fn add(&mut self, args: &[Value]) {
        match args.first() {
            Some(Value::Dynamic(Json::Array(elements))) => {
                for element in elements {
                    self.insert(element.clone());
                }
            }
            Some(value) if !is_null(value) => self.insert(value.to_json()),
            _ => {}
        }
    }

    fn merge(&mut self, later: Box<dyn Accumulator>) {
        for item in downcast::<MakeSet>(later).items {
            self.insert(item);
        }
    }

    fn finish(&self) -> Vec<Value> {
        vec![Value::Dynamic(Json::Array(self.items.clone()))]
    }

    fn memory(&self) -> usize {
        self.bytes
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

/// `make_bag`: the property bags merged, up to `max` keys. Kusto picks "an arbitrary value" for a
/// key in several bags; we keep the first in input order. Values that are not bags are skipped.
#[derive(Debug)]
pub(super) struct MakeBag {
    max: usize,
    bag: Map<String, Json>,
    bytes: usize,
}

impl MakeBag {
    pub(super) fn new(max: usize) -> MakeBag {
        MakeBag {
            max,
            bag: Map::new(),
            bytes: 0,
        }
    }

    fn insert_all(&mut self, bag: Map<String, Json>) {
        for (key, value) in bag {
            if self.bag.len() >= self.max {
                return;
            }
            if !self.bag.contains_key(&key) {
                self.bytes += key.len() + json_memory(&value);
                self.bag.insert(key, value);
            }
        }
    }
}

impl Accumulator for MakeBag {
    fn add(&mut self, args: &[Value]) {
        if let Some(Value::Dynamic(Json::Object(bag))) = args.first() {
            self.insert_all(bag.clone());
        }
    }

    fn merge(&mut self, later: Box<dyn Accumulator>) {
        let later = downcast::<MakeBag>(later);
        self.insert_all(later.bag);
    }

    fn finish(&self) -> Vec<Value> {
        vec![Value::Dynamic(Json::Object(self.bag.clone()))]
    }

    fn memory(&self) -> usize {
        self.bytes
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

/// `dcount` and `count_distinct`, exact: the number of distinct values, nulls and empty strings
/// not counted. (Kusto's `dcount` estimates with HyperLogLog; its result can differ from ours by
/// its error, about 0.8% at the default accuracy, and is exact only for small sets.)
#[derive(Debug, Default)]
pub(super) struct Distinct {
    seen: HashSet<Key>,
    bytes: usize,
}

impl Distinct {
    fn insert(&mut self, key: Key) {
        if !self.seen.contains(&key) {
            self.bytes += key.memory();
            self.seen.insert(key);
        }
    }
}

impl Accumulator for Distinct {
    fn add(&mut self, args: &[Value]) {
        let Some(value) = args.first() else { return };
        if value.is_empty() || is_null(value) {
            return;
        }
        if let Some(key) = Key::of(value) {
            self.insert(key);
        }
    }

    fn merge(&mut self, later: Box<dyn Accumulator>) {
        for key in downcast::<Distinct>(later).seen {
            self.insert(key);
        }
    }

    fn finish(&self) -> Vec<Value> {
        vec![Value::Long(self.seen.len() as i64)]
    }

    fn memory(&self) -> usize {
        self.bytes
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}
