"""For each compiled field with arguments: the function turning its (converted) arguments
into what the SQL mapping binds. They are the functions the resolvers call, so both paths
check and read arguments the same way."""

from api.graphql.cases.queries import cases_arguments
from api.graphql.cases.types import customer_cases_arguments
from api.graphql.compiled.selection import Readers
from api.graphql.customers.queries import customer_arguments, customers_arguments
from api.graphql.interactions.types import timeline_arguments

READERS: Readers = {
    ("Query", "customer"): customer_arguments,
    ("Query", "customers"): customers_arguments,
    ("Query", "cases"): cases_arguments,
    ("Customer", "timeline"): timeline_arguments,
    ("Customer", "cases"): customer_cases_arguments,
}
