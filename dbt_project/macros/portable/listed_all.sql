{#- True when every item of the delimited text `needles` is an item of the delimited text `haystack` (null when
    either is null), e.g. `listed_all('state_before', 'state_after', "', '")`. -#}
{% macro listed_all(haystack, needles, delimiter) -%}
    {{ return(adapter.dispatch('listed_all')(haystack, needles, delimiter)) }}
{%- endmacro %}

{% macro default__listed_all(haystack, needles, delimiter) -%}
    list_has_all(string_split({{ haystack }}, {{ delimiter }}), string_split({{ needles }}, {{ delimiter }}))
{%- endmacro %}

{#- Spark's split takes a regular expression: the delimiter is quoted as a literal -#}
{% macro spark__listed_all(haystack, needles, delimiter) -%}
    case when {{ haystack }} is not null and {{ needles }} is not null then
        size(array_except(split({{ needles }}, concat('\\Q', {{ delimiter }}, '\\E')),
                          split({{ haystack }}, concat('\\Q', {{ delimiter }}, '\\E')))) = 0
    end
{%- endmacro %}
