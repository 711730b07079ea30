//! Collections: which types index to an element, which methods walk one, which methods read or
//! change a collection through a guard, and which compare or order values.

use crate::intern::{Sym, sym};

/// Containers whose indexing (`v[i]`, `map.get(k)`, iteration) yields their last type
/// argument.
pub fn is_container(name: &str) -> bool {
    matches!(
        name,
        "Vec"
            | "VecDeque"
            | "HashMap"
            | "BTreeMap"
            | "IndexMap"
            | "DashMap"
            | "SmallVec"
            | "ArrayVec"
            | "HashSet"
            | "BTreeSet"
            | "Slab"
    )
}

/// `for x in c.iter()`: methods whose items are the collection's elements.
pub fn is_element_iter(name: &str) -> bool {
    matches!(
        name,
        "iter" | "iter_mut" | "values" | "values_mut" | "into_iter"
    )
}

/// Methods that test a collection, or test and change it in one step: called on a guard, they
/// are a check made under that guard.
pub fn is_checking_method(name: &str) -> bool {
    matches!(
        name,
        "entry"
            | "or_insert"
            | "or_insert_with"
            | "get_or_insert_with"
            | "contains_key"
            | "contains"
            | "get"
            | "get_mut"
            | "is_none"
            | "is_some"
            | "is_empty"
            | "len"
            | "retain"
            | "try_insert"
    )
}

/// Methods that change a collection (or a cell) in place.
pub fn is_mutating_method(name: &str) -> bool {
    matches!(
        name,
        "insert"
            | "push"
            | "push_back"
            | "push_front"
            | "remove"
            | "pop"
            | "pop_front"
            | "pop_back"
            | "clear"
            | "retain"
            | "entry"
            | "extend"
            | "truncate"
            | "drain"
            | "append"
            | "swap_remove"
            | "take"
            | "replace"
            | "set"
            | "get_mut"
    )
}

/// Methods that compare or order values: evidence that code orders lock instances by a key.
pub fn is_ordering_method(name: Sym) -> bool {
    matches!(
        name,
        sym::CMP
            | sym::PARTIAL_CMP
            | sym::MIN
            | sym::MAX
            | sym::MIN_BY_KEY
            | sym::MAX_BY_KEY
            | sym::MINMAX
            | sym::SORT
            | sym::SORT_UNSTABLE
            | sym::SORT_BY
            | sym::SORT_BY_KEY
            | sym::SORT_UNSTABLE_BY
            | sym::SORT_UNSTABLE_BY_KEY
    )
}

/// `min(a, b)` / `max(a, b)` as free functions.
pub fn is_min_max_fn(name: &str) -> bool {
    matches!(name, "min" | "max")
}
