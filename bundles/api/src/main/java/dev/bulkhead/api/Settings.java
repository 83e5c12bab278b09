package dev.bulkhead.api;

import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Arrays;
import java.util.Collection;
import java.util.Map;

/**
 * Configuration properties as a component property type (the annotation a Declarative Services component takes
 * its configuration through), for the same component made outside a container by a
 * {@link dev.bulkhead.api.hypervisor.HypervisorBackendProvider} or {@link dev.bulkhead.api.role.QubeRoleProvider}.
 * Names map as in Declarative Services 1.4 (112.8.2.1: {@code __} is {@code _}, {@code _} is {@code .},
 * {@code $_$} is {@code -}); values convert from strings, numbers, booleans, arrays and collections; a missing
 * property takes the element's default.
 */
public final class Settings {
    private Settings() {
    }

    public static <A> A of(Class<A> type, Map<String, ?> properties) {
        if (!type.isInterface()) {
            throw new IllegalArgumentException(type.getName() + " is not a component property type");
        }
        Map<String, ?> values = Map.copyOf(properties);
        // Every element is converted now, so that a bad setting is refused before anything uses it.
        Map<String, Object> elements = new java.util.HashMap<>();
        for (Method m : type.getDeclaredMethods()) {
            if (m.getParameterCount() == 0) {
                elements.put(m.getName(), value(m, values));
            }
        }
        Object proxy = Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] { type }, (self, method, args) -> {
            switch (method.getName()) {
                case "toString":
                    return type.getSimpleName() + values;
                case "hashCode":
                    return values.hashCode();
                case "equals":
                    return self == args[0];
                case "annotationType":
                    return type;
                default:
                    Object v = elements.get(method.getName());
                    return v != null && v.getClass().isArray() ? cloneArray(v) : v;
            }
        });
        return type.cast(proxy);
    }

    private static Object value(Method method, Map<String, ?> values) {
        String key = key(method.getName());
        Object raw = values.get(key);
        if (raw == null) {
            Object fallback = method.getDefaultValue();
            if (fallback == null) {
                throw new IllegalArgumentException("setting '" + key + "' is required");
            }
            return fallback;
        }
        try {
            return convert(raw, method.getReturnType());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("setting '" + key + "': " + e.getMessage());
        }
    }

    /** The property name of an element, by the rules of Declarative Services. */
    static String key(String method) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < method.length(); i++) {
            char c = method.charAt(i);
            if (method.startsWith("$_$", i)) {
                b.append('-');
                i += 2;
            } else if (method.startsWith("$$", i)) {
                b.append('$');
                i++;
            } else if (c == '$') {
                continue;
            } else if (method.startsWith("__", i)) {
                b.append('_');
                i++;
            } else if (c == '_') {
                b.append('.');
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static Object convert(Object raw, Class<?> target) {
        if (target.isArray()) {
            Object[] items = raw.getClass().isArray() ? boxed(raw)
                    : raw instanceof Collection<?> c ? c.toArray() : new Object[] { raw };
            Object result = Array.newInstance(target.getComponentType(), items.length);
            for (int i = 0; i < items.length; i++) {
                Array.set(result, i, convert(items[i], target.getComponentType()));
            }
            return result;
        }
        Object single = raw.getClass().isArray() ? (Array.getLength(raw) == 0 ? null : Array.get(raw, 0))
                : raw instanceof Collection<?> c ? c.stream().findFirst().orElse(null) : raw;
        if (single == null) {
            throw new IllegalArgumentException("no value");
        }
        String text = single.toString().strip();
        try {
            if (target == String.class) {
                return single.toString();
            } else if (target == int.class || target == Integer.class) {
                return single instanceof Number n ? n.intValue() : Integer.parseInt(text);
            } else if (target == long.class || target == Long.class) {
                return single instanceof Number n ? n.longValue() : Long.parseLong(text);
            } else if (target == double.class || target == Double.class) {
                return single instanceof Number n ? n.doubleValue() : Double.parseDouble(text);
            } else if (target == boolean.class || target == Boolean.class) {
                return single instanceof Boolean v ? v : Boolean.parseBoolean(text);
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a valid " + target.getSimpleName());
        }
        throw new IllegalArgumentException("values of type " + target.getSimpleName() + " are not supported");
    }

    private static Object cloneArray(Object array) {
        Object copy = Array.newInstance(array.getClass().getComponentType(), Array.getLength(array));
        System.arraycopy(array, 0, copy, 0, Array.getLength(array));
        return copy;
    }

    private static Object[] boxed(Object array) {
        Object[] result = new Object[Array.getLength(array)];
        Arrays.setAll(result, i -> Array.get(array, i));
        return result;
    }
}
